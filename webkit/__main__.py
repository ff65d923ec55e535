from webkit.cli import run

run()
