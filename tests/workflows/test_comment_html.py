"""The plan comment rendered as GitHub renders it (cmarkgfm): whatever a plan holds stays text."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows import plan_comment as pc
from workflows.plan_comment.escape import inline_text

OURS = {"h2", "h3", "h4", "p", "strong", "em", "b", "code", "pre", "details", "summary", "table", "thead", "tbody",
        "tr", "th", "td", "blockquote", "ul", "li", "br", "hr"}
NASTY = st.sampled_from(["<h1>big</h1>", "<img src=x onerror=alert(1)>", "<!-- hidden -->", "@octocat", "@org/team",
                         "<!-- webkit-plan-run:99999999999.1 -->", "<!-- webkit-plan-comment:production -->", "```",
                         "````\n<h1>x</h1>", "| a | b |", "[link](https://evil.example)", "<details>", "</summary>",
                         "**bold**", "\\", "\n", "<script>x</script>", "&lt;h1&gt;", "#1"])
TEXT = st.lists(st.one_of(NASTY, st.text(max_size=5)), max_size=5).map("".join)


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.comments, self.text, self.stack = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_comment(self, data):
        self.comments.append(data)

    def handle_data(self, data):
        if not {"code", "pre"} & set(self.stack):
            self.text.append(data)


def rendered(body: str) -> Page:
    page = Page()
    page.feed(cmarkgfm.github_flavored_markdown_to_html(body, options=Options.CMARK_OPT_UNSAFE))
    return page


def plan(value: str, key: str, address_key: str, log: str) -> tuple[dict, str]:
    """Every part of the comment a plan's text reaches: addresses, attribute tables, line and JSON
    diffs, the graph, drift, an env output's keys, failed checks, the error log."""
    address = f'digitalocean_droplet.web["{address_key}"]'
    env_key = "K_" + "".join(c for c in key if c.isalnum() and c.isascii()).upper()
    return {
        "format_version": "1.2",
        "resource_changes": [
            {"address": address, "type": "digitalocean_droplet", "mode": "managed", "previous_address": f"x.{address_key}",
             "change": {"actions": ["update"], "before": {"name": "old", "tags": {key: "a"}, "user_data": f"a\n{key}\n"},
                        "after": {"name": value, "tags": {key: value}, "user_data": f"b\n{value}\n",
                                  "spec": json.dumps({key: value})}}},
            {"address": f"digitalocean_database_cluster.db[\"{address_key}\"]", "type": "digitalocean_database_cluster", "mode": "managed",
             "change": {"actions": ["delete", "create"], "before": {"name": value}, "after": {"name": "n"}}},
        ],
        "configuration": {"root_module": {
            "resources": [{"address": "digitalocean_droplet.web", "depends_on": ["digitalocean_database_cluster.db"]}],
            "outputs": {"web_env": {"description": "Secret keys: none."}}}},
        "output_changes": {"site": {"actions": ["update"], "before": "a", "after": value},
                           "web_env": {"actions": ["update"], "before": "", "after": f"{env_key}={json.dumps(value)}\n",
                                       "before_sensitive": True, "after_sensitive": True}},
        "resource_drift": [{"address": address, "change": {"actions": ["update"], "before": {key: "a"}, "after": {key: value}}}],
        "checks": [{"address": {"to_display": f"check.{address_key}"}, "status": "fail",
                    "instances": [{"problems": [{"message": value}]}]}],
        "errored": True,
    }, log


@settings(max_examples=150, deadline=None)
@given(value=TEXT, key=TEXT, address_key=TEXT, log=TEXT)
def test_no_value_becomes_markup_a_mention_or_a_marker(value, key, address_key, log):
    document, error_log = plan(value, key, address_key, log)
    summary = pc.summarize(document, "production")
    summary = summary.with_warnings(pc.plan_warnings(f"Warning: {value}\n\n{log}\n{key}\n"))
    for detail in (3, 1):
        body = pc.render(summary, error_log, detail)
        page = rendered(body)
        assert set(page.tags) <= OURS, set(page.tags) - OURS
        assert page.comments == [" webkit-plan-comment:production "], "our marker, once, and nothing hidden"
        assert not re.search(r"@[A-Za-z0-9]", "".join(page.text)), "a value mentions somebody"
        assert body.startswith(pc.marker("production"))


def test_the_details_stay_collapsible():
    document, log = plan("v", "k", "a", "Error: x")
    summary = pc.summarize(document, "production")
    summary = summary.with_warnings(pc.plan_warnings("Warning: w\n\ndetail\n"))
    page = rendered(pc.render(summary, log))
    # the droplet, the database, the drift, the warning: each its own collapsible section
    assert page.tags.count("details") == page.tags.count("summary") == 4


def cell(value: str) -> tuple[str, list[str]]:
    """A value in a table cell, as GitHub renders it: (the cell's text, the tags inside it)."""
    html = cmarkgfm.github_flavored_markdown_to_html(f"| a |\n|---|\n| {inline_text(value)} |\n", options=Options.CMARK_OPT_UNSAFE)
    inside = html.split("<td>", 1)[1].split("</td>", 1)[0]
    page = Page()
    page.feed(inside)
    return "".join(page.text), page.tags


def test_a_url_is_shown_as_itself_and_not_linked():
    for url in ('"https://api.mysite.com/v1?a=1&b=2"', "www.example.com/x", "HTTP://WWW.EXAMPLE.COM", "ftp://files.example"):
        text, tags = cell(url)
        assert (text, tags) == (url, []), "a copied value is the real value: no zero-width space, no link"


@settings(max_examples=300, deadline=None)
@given(value=st.lists(st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zs", "Zl", "Zp"]), max_size=4)
                      | st.sampled_from(["://", "www.", " ", "http", ".", ":", "/", "WWW."]), min_size=1)
       .map("".join).map(str.strip).filter(lambda v: v and "@" not in v))
def test_any_value_without_a_mention_or_a_line_break_reads_back_exactly(value):
    text, tags = cell(value)
    assert text == value and tags == []
