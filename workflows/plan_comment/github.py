"""The GitHub REST API, as the workflows use it: one comment per pull request and environment, kept
current; one open issue per title (drift), updated, then closed when it is resolved."""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request

from .render import marker


class GitHubError(RuntimeError):
    pass


class GitHub:
    def __init__(self, repo: str, token: str, api: str = "https://api.github.com"):
        self.repo, self.token, self.api = repo, token, api.rstrip("/")

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[object, dict]:
        url = path if path.startswith("http") else f"{self.api}{path}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "Content-Type": "application/json",
            "User-Agent": "webkit-plan-comment",
        })
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                text = resp.read().decode()
                return (json.loads(text) if text else None), dict(resp.headers)
        except urllib.error.HTTPError as err:
            detail = ""
            try:
                detail = json.loads(err.read().decode()).get("message", "")
            except (ValueError, AttributeError):
                pass
            raise GitHubError(f"GitHub API {method} {url.split('?')[0]} failed: {err.code} {detail or err.reason}") from None
        except urllib.error.URLError as err:
            raise GitHubError(f"GitHub API {method} {url.split('?')[0]} unreachable: {err.reason}") from None

    def pages(self, path: str):
        """Every item of a paginated list, following Link: rel="next"."""
        url = f"{path}{'&' if '?' in path else '?'}per_page=100"
        while url:
            items, headers = self.request("GET", url)
            yield from items if isinstance(items, list) else []
            link = headers.get("Link") or headers.get("link") or ""
            match = re.search(r'<([^>]+)>;\s*rel="next"', link)
            url = match.group(1) if match else ""


RUN_MARK = re.compile(r"<!-- webkit-plan-run:(\d+)\.(\d+) -->")


def _bot() -> str:
    return os.environ.get("WEBKIT_BOT_LOGIN") or "github-actions[bot]"


def upsert_comment(gh: GitHub, pr: int, environment: str | None, body: str, run: tuple[int, int]) -> str:
    """Create or update this PR's one comment for `environment`; never replace a newer run's.

    Only comments the workflow wrote count, and only where its markers are: the environment's
    marker opens the body and the run mark is its last line. Anybody can comment, and a plan
    value could carry marker text; neither can take the comment over or freeze it."""
    mark = marker(environment)
    body = f"{body.rstrip()}\n<!-- webkit-plan-run:{run[0]}.{run[1]} -->\n"
    mine = [c for c in gh.pages(f"/repos/{gh.repo}/issues/{pr}/comments")
            if (c.get("user") or {}).get("login") == _bot() and (c.get("body") or "").startswith(mark)]
    if not mine:
        gh.request("POST", f"/repos/{gh.repo}/issues/{pr}/comments", {"body": body})
        return "created"
    existing = mine[-1]
    seen = RUN_MARK.fullmatch((existing.get("body") or "").rstrip().rsplit("\n", 1)[-1])
    if seen and (int(seen.group(1)), int(seen.group(2))) > run:
        return "skipped"
    gh.request("PATCH", f"/repos/{gh.repo}/issues/comments/{existing['id']}", {"body": body})
    return "updated"


def _own_issue(gh: GitHub, title: str) -> dict | None:
    """The open issue with this title that the workflow itself opened."""
    for issue in gh.pages(f"/repos/{gh.repo}/issues?state=open"):
        author = (issue.get("user") or {}).get("login")
        if issue.get("title") == title and "pull_request" not in issue and author == _bot():
            return issue
    return None


def upsert_issue(gh: GitHub, title: str, body: str) -> str:
    """One open issue with this title: updated if it exists, opened if not."""
    issue = _own_issue(gh, title)
    if issue:
        gh.request("PATCH", f"/repos/{gh.repo}/issues/{issue['number']}", {"body": body})
        return "updated"
    gh.request("POST", f"/repos/{gh.repo}/issues", {"title": title, "body": body})
    return "created"


def resolve_issue(gh: GitHub, title: str, note: str) -> str:
    """Close the workflow's open issue with this title, saying why; nothing when there is none."""
    issue = _own_issue(gh, title)
    if not issue:
        return "none open"
    gh.request("POST", f"/repos/{gh.repo}/issues/{issue['number']}/comments", {"body": note})
    gh.request("PATCH", f"/repos/{gh.repo}/issues/{issue['number']}", {"state": "closed", "state_reason": "completed"})
    return "closed"
