"""Everything `webkit update` writes into a project's .github/: workflows, actions, scripts."""
