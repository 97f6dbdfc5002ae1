"""``eventml schemas check``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from schemas import IncompatibleSchemaError, SchemaCatalog, SchemaError, check_catalog
from schemas.catalog import SCHEMA_DIR
from streams.cli.context import console, fail

app = typer.Typer(help="Inspect and check the Avro contracts.", no_args_is_help=True)


@app.command()
def check(
    directory: Path = typer.Option(SCHEMA_DIR, "--dir", help="Directory of .avsc files."),
) -> None:
    """Parse every schema and fail if a new version cannot read the previous version's data."""
    try:
        catalog = SchemaCatalog(directory)
        report = check_catalog(catalog)
    except IncompatibleSchemaError as exc:
        raise fail(str(exc)) from exc
    except SchemaError as exc:
        raise fail(str(exc)) from exc
    table = Table("record", "version", "fingerprint (CRC-64-AVRO)", "full name")
    for record in catalog.records:
        for v in catalog.versions(record):
            table.add_row(record, f"v{v.version}", v.fingerprint.hex(), v.full_name)
    console.print(table)
    for pair in report:
        console.print(f"[green]ok[/] {pair}: backward compatible")
