"""The ``wabp`` command line: serve, lookup, map, validate, derive-zones.

Exit codes: 0 success; 1 when the answer is "no" (address not found or ambiguous, zone file refused)
or a domain error occurred (one line on stderr that says what to fix); 2 for usage errors.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from geo.errors import GeoError
from zones.errors import ZoneError

if TYPE_CHECKING:
    from service.settings import Settings
    from zones.dataset import Dataset

app = typer.Typer(
    # Locals in a traceback could hold a resident's address: never print them.
    pretty_exceptions_show_locals=False,
    help="wabp: WhatsApp-buurtpreventie zones, address lookup and the public map.",
    no_args_is_help=True,
)

DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data", help="dataset directory (default: $WABP_DATA_DIR or the shipped Alken data)"
    ),
]


@contextmanager
def _domain_errors() -> Iterator[None]:
    """Turn domain errors into one line on stderr and exit code 1, without a traceback."""
    try:
        yield
    except (ZoneError, GeoError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


def _settings(data: Path | None) -> Settings:
    # Imported here so that `wabp --help` does not load pandas, shapely and pyproj.
    from service.settings import Settings

    return Settings(data_dir=data) if data is not None else Settings()


def _dataset(data: Path | None, strict: bool = True) -> Dataset:
    from zones.dataset import Dataset

    return Dataset.load(_settings(data).data_dir, strict=strict)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
    data: DataOption = None,
) -> None:
    """Serve the API and the public map."""
    import uvicorn

    from service.app import create_app

    settings = _settings(data)
    with _domain_errors():
        uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port)


@app.command()
def lookup(
    address: Annotated[
        str, typer.Argument(help="an address as typed, e.g. 'Heiligenbornstraat 12, 3570 Alken'")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="print the same JSON as GET /api/lookup")
    ] = False,
    data: DataOption = None,
) -> None:
    """Tell which WABP group an address belongs to."""
    from zones.lookup import Locator

    with _domain_errors():
        result = Locator(_dataset(data)).lookup(address)
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        typer.echo(result.message)
        for c in result.candidates:
            a = c.address
            zones = ", ".join(z.name for z in c.zones) or "geen groep"
            typer.echo(
                f"  - {a.street} {a.housenumber or ''}, {a.postcode} {a.municipality}: {zones}"
            )
        for w in result.warnings:
            typer.echo(f"  ! {w.message}")
    raise typer.Exit(0 if result.status in ("found", "no_zone") else 1)


@app.command("map")
def map_(
    out: Annotated[
        Path, typer.Option("--out", help="HTML file to write; its assets go in static/ beside it")
    ],
    data: DataOption = None,
) -> None:
    """Write the public zone map as an HTML file."""
    from geo.files import atomic_write_text
    from maps.assets import STATIC_DIR
    from maps.public import render_public_map

    with _domain_errors():
        dataset = _dataset(data)
        html = render_public_map(dataset, asset_base="static", lookup_url=None)
        shutil.copytree(STATIC_DIR, out.parent / "static", dirs_exist_ok=True)
        atomic_write_text(out, html)
    typer.echo(f"wrote {out} ({len(html.encode()) / 1024:.0f} KB)")


@app.command()
def validate(
    file: Annotated[
        Path | None,
        typer.Argument(help="zone file to check (default: the dataset's zones.geojson)"),
    ] = None,
    data: DataOption = None,
) -> None:
    """Check a zone file: schema, geometry, overlaps, boundary and street lists."""
    from zones.dataset import Dataset, DatasetPaths
    from zones.storage import load_zones
    from zones.validate import has_errors

    with _domain_errors():
        base = _dataset(data, strict=False)
        zones = load_zones(file) if file is not None else base.zones
        checked = Dataset.build(
            DatasetPaths(base.paths.root), base.meta, base.register, zones, strict=False
        )
    problems = checked.problems
    for p in problems:
        typer.echo(f"{p.severity}: {p.message}", err=p.severity == "error")
    if has_errors(problems):
        raise typer.Exit(1)
    warnings = sum(p.severity == "warning" for p in problems)
    typer.echo(f"ok: {len(zones)} zones, {warnings} warning(s)")


@app.command("derive-zones")
def derive_zones(
    spec: Annotated[
        Path, typer.Argument(help="derivation spec (JSON): groups with streets or a fill area")
    ],
    out: Annotated[Path, typer.Option("--out", help="zone file to write (atomically)")],
    infoborden: Annotated[
        Path | None,
        typer.Option(help="also write illustrative infobord points (one per zone) here"),
    ] = None,
    data: DataOption = None,
) -> None:
    """Derive zone polygons from the address points of each group's streets (Voronoi cells)."""
    from geo.files import atomic_write_text
    from zones.derive import derive_from_files, illustrative_infoborden, summary
    from zones.storage import dump_geojson, save_zones

    with _domain_errors():
        dataset = _dataset(data, strict=False)
        zones = derive_from_files(spec, dataset.register, dataset.paths.boundary)
        save_zones(zones, out)
        if infoborden is not None:
            atomic_write_text(
                infoborden, dump_geojson(illustrative_infoborden(zones, dataset.register))
            )
    for row in summary(zones):
        typer.echo(
            f"{row['id']:<16} {row['name']:<24} {row['area_km2']:>7.3f} km²  {row['streets']} streets"
        )
    typer.echo(f"wrote {out}")


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="dataset directory to create")],
    addresses: Annotated[
        Path, typer.Option(help="address register: CRAB-style or BeST CSV (.csv or .csv.gz)")
    ],
    zones: Annotated[
        Path, typer.Option(help="zones GeoJSON (WGS84); features need only id and name")
    ],
    boundary: Annotated[
        Path | None, typer.Option(help="municipality boundary GeoJSON (optional)")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="name shown on the map (default: the municipalities)")
    ] = None,
) -> None:
    """Create a dataset directory for any municipality from its register and its zones."""
    from zones.importing import create_dataset

    with _domain_errors():
        report = create_dataset(directory, addresses, zones, boundary, name)
    typer.echo(
        f"created {directory}: {report.addresses:,} addresses in postcode(s) {', '.join(report.postcodes)}, "
        f"{report.zones} zones, boundary: {report.boundary}"
    )
    for note in report.notes:
        typer.echo(f"note: {note}")


@app.command("import-addresses")
def import_addresses(
    addresses: Annotated[
        Path, typer.Argument(help="the new address register (CRAB-style or BeST CSV)")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="report the changes without writing")
    ] = False,
    data: DataOption = None,
) -> None:
    """Refresh a dataset's address register and report what changed."""
    from zones.importing import import_addresses as refresh

    with _domain_errors():
        changes = refresh(_settings(data).data_dir, addresses, dry_run=dry_run)
    typer.echo(
        f"added {len(changes.added)}, removed {len(changes.removed)}, moved {len(changes.moved)}, "
        f"now in another zone {len(changes.zone_changed)}"
    )
    for label, before, after in changes.zone_changed[:50]:
        typer.echo(f"  {label}: {', '.join(before) or '-'} -> {', '.join(after) or '-'}")
    if len(changes.zone_changed) > 50:
        typer.echo(f"  ... and {len(changes.zone_changed) - 50} more")
    typer.echo("dry run: nothing written" if dry_run else "register replaced")


# Prefixed so that the input's own street/postcode columns are kept next to the canonical ones.
LOOKUP_FILE_COLUMNS = [
    f"wabp_{c}"
    for c in (
        "status",
        "street",
        "housenumber",
        "box",
        "postcode",
        "municipality",
        "zone_id",
        "zone_name",
        "precision",
        "warnings",
        "lat",
        "lon",
    )
]


@app.command("lookup-file")
def lookup_file(
    infile: Annotated[
        Path, typer.Argument(help="CSV with an 'address' column (or street/housenumber/postcode)")
    ],
    out: Annotated[
        Path,
        typer.Option("--out", help="CSV to write: the input plus status, address and zone columns"),
    ],
    column: Annotated[
        str | None,
        typer.Option(help="column that holds the address (default: 'address' or the first)"),
    ] = None,
    data: DataOption = None,
) -> None:
    """Assign a list of addresses to their groups (for municipal staff)."""
    import csv
    import io

    from rich.progress import Progress

    from geo.files import atomic_write_text
    from zones.lookup import Locator

    with _domain_errors():
        with open(infile, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
        fields = list(rows[0]) if rows else []
        if column is not None and column not in fields:
            typer.echo(
                f"error: {infile} has no column {column!r} (columns: {', '.join(fields)})", err=True
            )
            raise typer.Exit(2)
        locator = Locator(_dataset(data))

    def query(row: dict[str, str]) -> str:
        if column is not None:
            return row[column]
        if "address" in row:
            return row["address"]
        if {"street", "housenumber"} <= row.keys():
            return f"{row['street']} {row['housenumber']}, {row.get('postcode', '')} {row.get('municipality', '')}"
        return next(iter(row.values()), "")

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*fields, *LOOKUP_FILE_COLUMNS])
    writer.writeheader()
    counts: dict[str, int] = {}
    with Progress(transient=True) as progress:
        task = progress.add_task("lookup", total=len(rows))
        for row in rows:
            (result,) = locator.lookup_many([query(row)])
            counts[result.status] = counts.get(result.status, 0) + 1
            a, loc = result.address, result.location
            found = {
                "status": result.status,
                "street": a.street if a else "",
                "housenumber": (a.housenumber or "") if a else "",
                "box": (a.box or "") if a else "",
                "postcode": a.postcode if a else "",
                "municipality": a.municipality if a else "",
                "zone_id": ";".join(z.id for z in result.zones),
                "zone_name": ";".join(z.name for z in result.zones),
                "precision": result.precision or "",
                "warnings": ";".join(w.code for w in result.warnings),
                "lat": f"{loc.lat:.7f}" if loc else "",
                "lon": f"{loc.lon:.7f}" if loc else "",
            }
            writer.writerow({**row, **{f"wabp_{k}": v for k, v in found.items()}})
            progress.advance(task)
    with _domain_errors():
        atomic_write_text(out, buffer.getvalue())
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    typer.echo(f"wrote {out}: {len(rows)} addresses ({summary})")


@app.command()
def propose(
    file: Annotated[
        Path, typer.Argument(help="a proposal: GeoJSON Feature with properties.zone_id or .name")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    data: DataOption = None,
) -> None:
    """Print the impact report of a boundary proposal (an offline check; nothing is changed)."""
    from zones.proposals import InvalidShapeError, parse_proposal, report
    from zones.storage import parse_json

    with _domain_errors():
        dataset = _dataset(data)
        raw = parse_json(file.read_text(encoding="utf-8"), str(file))
        try:
            proposal = parse_proposal(raw, dataset)
        except InvalidShapeError as exc:
            typer.echo(f"error: {exc}", err=True)
            if exc.repaired is not None:
                typer.echo(json.dumps({"repaired": exc.repaired}), err=True)
            raise typer.Exit(1) from None
        result, _ = report(proposal, dataset)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    kind = "nieuwe groep" if result.new_group else "wijziging"
    typer.echo(
        f"Voorstel ({kind}) voor zone {result.zone_id}: {result.area_m2 / 1e6:.3f} km², {result.parts} deel/delen"
    )
    for line in result.summary or ["geen adressen veranderen van groep"]:
        typer.echo(f"  - {line}")
    for o in result.overlaps:
        typer.echo(f"  overlapt {o.name}: {o.area_m2:,.0f} m², {o.addresses} adressen")
    for s in result.split_streets:
        typer.echo(f"  gesplitste straat: {s.street} ({', '.join(s.zones)})")
    typer.echo(
        f"  dekking: {result.coverage_before:.1%} -> {result.coverage_after:.1%} van de adressen"
    )


@app.command()
def generations(data: DataOption = None) -> None:
    """List the generations of the zone set."""
    from zones.generations import GenerationStore

    with _domain_errors():
        store = GenerationStore(_settings(data).data_dir)
        for g in store.list():
            typer.echo(f"{g.number:>4}  {g.created_at:%Y-%m-%d %H:%M}  {g.source:<24} {g.note}")
