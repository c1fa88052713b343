"""The handlers of the `lane-tasks` commands, one module per command group, named as the command
tree (`lane_tasks.catalog.commands`) names them: `"lane_tasks.cli.commands.<group>:<function>"`.

The parser keeps only that name; `lane_tasks.cli.parser.resolve_handler` imports the one module
of the command that runs, so start-up never loads the others.
"""
