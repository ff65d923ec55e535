from webkit.commands.cli import run

run()
