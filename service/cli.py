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
    from sqlalchemy.orm import Session

    from maps.tiles import TileLayerSpec
    from service.settings import Settings
    from zones.dataset import Dataset
    from zones.municipal import Municipalities

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


# The options of a new staff account, shared by `users add` and `users invite`.
StaffEmail = Annotated[str, typer.Argument(help="e-mail address, used to sign in")]
StaffRole = Annotated[str, typer.Option(help="coordinator, police or municipality")]
StaffZone = Annotated[
    str | None, typer.Option(help="zone id (required for a coordinator: their group)")
]
StaffMunicipality = Annotated[
    str | None,
    typer.Option(
        help="police/municipality: whose applications they see (name as in the register, "
        "e.g. Alken, or its NIS code; default: the dataset's only municipality)"
    ),
]
StaffPoliceZone = Annotated[
    str | None,
    typer.Option(
        "--police-zone",
        help='police: a whole police zone of the dataset (e.g. "Kanton Borgloon")',
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
    from pydantic import ValidationError

    from service.settings import Settings

    try:
        return Settings(data_dir=data) if data is not None else Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "settings"
        typer.echo(f"error: {where}: {first['msg']} (check the WABP_ environment)", err=True)
        raise typer.Exit(2) from None


def _dataset(data: Path | None, strict: bool = True) -> Dataset:
    from zones.dataset import Dataset

    return Dataset.load(_settings(data).data_dir, strict=strict)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1, help="worker processes; each loads the dataset and follows the database"
        ),
    ] = 1,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="the reverse proxy's addresses (comma-separated, or '*') whose X-Forwarded-For "
            "and X-Forwarded-Proto are trusted: the client address that rate limits count and "
            "https for HSTS and secure cookies; default FORWARDED_ALLOW_IPS or 127.0.0.1"
        ),
    ] = None,
    data: DataOption = None,
) -> None:
    """Serve the API and the public map."""
    import os

    import uvicorn

    from service.app import create_app
    from service.workers import can_share_port, serve_workers

    settings = _settings(data)
    host, port = host or settings.host, port or settings.port
    with _domain_errors():
        if workers == 1:
            uvicorn.run(
                create_app(settings), host=host, port=port, forwarded_allow_ips=forwarded_allow_ips
            )
            return
        # Workers are new processes that import the app by name and read their settings from the
        # environment: the dataset chosen here travels there.
        os.environ["WABP_DATA_DIR"] = str(settings.data_dir)
        factory = "service.app:app_from_environment"
        if not can_share_port():  # uvicorn's workers, on one shared socket
            uvicorn.run(
                factory,
                factory=True,
                host=host,
                port=port,
                workers=workers,
                forwarded_allow_ips=forwarded_allow_ips,
            )
            return
        status = serve_workers(
            factory, workers, host, port, forwarded_allow_ips=forwarded_allow_ips
        )
    if status:
        typer.echo("error: a worker could not start the app (see the log above)", err=True)
        raise typer.Exit(status)


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
def publish(
    out_dir: Annotated[Path, typer.Argument(help="folder to write the static site into")],
    data: DataOption = None,
    tiles: Annotated[
        str | None,
        typer.Option(
            help="base map: none, grb, cartoweb, register (streets drawn from the address "
            "register, offline) or an XYZ URL with {z}/{x}/{y} "
            "(default: $WABP_TILES, else none)"
        ),
    ] = None,
    attribution: Annotated[
        str | None, typer.Option(help="credit of the tile provider (required with a URL)")
    ] = None,
    lookup_url: Annotated[
        str | None,
        typer.Option(
            help="the service's /api/lookup, offered next to the site's own search "
            "(default: <base-url>/api/lookup)"
        ),
    ] = None,
    register_url: Annotated[
        str | None,
        typer.Option(
            help="registration page the site links to (default: $WABP_REGISTER_URL; a "
            "municipality's own join_url in dataset.json wins on its site)"
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(help="public address of the service (default: $WABP_BASE_URL)"),
    ] = None,
    tolerance: Annotated[
        float,
        typer.Option(min=0, help="simplification in metres (checked: no address changes zone)"),
    ] = 10.0,
    municipality: Annotated[
        str | None,
        typer.Option(
            help="only this municipality of a dataset of several (default: a site per "
            "municipality in OUT_DIR/<name>/ and a page to choose one at OUT_DIR/index.html)"
        ),
    ] = None,
) -> None:
    """Publish the zones as a static site: map, search, group list, zone pages, rules, coverage."""
    from maps.tiles import tiles_from_setting

    settings = _settings(data)
    try:
        # A published site loads nothing from another host unless asked: the service's default
        # base map applies only when WABP_TILES was set.
        chosen = settings.tiles if "tiles" in settings.model_fields_set else "none"
        spec = tiles_from_setting(tiles or chosen, attribution or settings.tiles_attribution)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    base = base_url or settings.base_url
    explicit = register_url or settings.register_url
    with _domain_errors():
        dataset = _dataset(data)
        held = dataset.municipalities
        names = [held.find(municipality).name] if municipality is not None else held.names
    if len(names) == 1 and len(held.names) == 1:
        _publish_one(dataset, out_dir, spec, base, explicit, lookup_url, tolerance)
        return
    import tempfile

    from maps.sitepages import chooser_entries, municipality_folder, render_chooser_page
    from zones.importing import write_municipality_dataset

    for name in names:
        # A one-municipality dataset per site: its zones, boundary, contact and join URL.
        with _domain_errors(), tempfile.TemporaryDirectory(prefix="wabp-publish-") as tmp:
            one = _dataset(write_municipality_dataset(dataset, name, Path(tmp) / "dataset"))
            target = out_dir if municipality is not None else out_dir / municipality_folder(name)
            typer.echo(f"{name}: {target}")
            # A municipality's own join link (dataset.json) wins over the one for the whole set.
            own = held.find(name).join_url
            _publish_one(one, target, spec, base, None if own else explicit, lookup_url, tolerance)
    if municipality is None:
        from geo.files import atomic_write_text

        entries = chooser_entries(dataset, lambda n: f"{municipality_folder(n)}/index.html")
        page = render_chooser_page(
            dataset.meta.name, entries, asset_base=f"{municipality_folder(names[0])}/assets"
        )
        atomic_write_text(out_dir / "index.html", page)
        typer.echo(f"wrote {out_dir / 'index.html'}: choose one of {len(entries)} municipalities")


def _publish_one(
    dataset: Dataset,
    out_dir: Path,
    spec: TileLayerSpec | None,
    base: str | None,
    explicit: str | None,
    lookup_url: str | None,
    tolerance: float,
) -> None:
    """Publish one municipality's dataset into `out_dir` and print what was written."""
    from maps.register_url import registration_url
    from maps.site import PublishOptions, publish_site

    with _domain_errors():
        join_url: str | None = None
        try:
            join_url = registration_url(explicit, dataset.meta.join_url, base)
        except ValueError as exc:
            if explicit or base:
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(2) from None
        lookup = lookup_url or (f"{base.rstrip('/')}/api/lookup" if base else None)
        try:
            report = publish_site(
                dataset,
                out_dir,
                PublishOptions(
                    spec,
                    lookup,
                    tolerance_m=tolerance,
                    join_url=join_url,
                    search_page=f"{base.rstrip('/')}/zoek" if base else None,
                ),
            )
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
    zone_pages = [v for k, v in report.files.items() if k.startswith("zones/")]
    for name in ("index.html", "zoekindex.js", "groepen.html", "dekking.html", "zones.geojson"):
        typer.echo(f"  {name:<20} {report.files[name] / 1024:>9,.0f} KB")
    if zone_pages:
        typer.echo(
            f"  {len(zone_pages)} zone pages        {max(zone_pages) / 1024:>9,.0f} KB at most"
        )
    display = report.prepared.display
    typer.echo(
        f"outlines: {display.vertices:,} of {display.exact_vertices:,} vertices, "
        f"{len(display.refined())} zone(s) kept finer, {display.checked_addresses:,} addresses checked"
    )
    if join_url is None:
        typer.echo(
            "warning: no registration page: the site tells residents to join through the "
            "municipality's contact; give --register-url or --base-url to link to the form",
            err=True,
        )
    typer.echo(
        f"wrote {out_dir} ({report.total_bytes() / 1024:,.0f} KB) in {sum(report.seconds.values()):.1f} s"
    )


@app.command("print")
def print_(
    zone: Annotated[
        list[str], typer.Option("--zone", help="zone id; repeat for several (one page each)")
    ],
    out: Annotated[Path, typer.Option("--out", help="PDF file to write")],
    size: Annotated[str, typer.Option(help="paper: A4 (flyer) or A3 (infobord)")] = "A4",
    register_url: Annotated[
        str | None,
        typer.Option(
            help="registration page in the QR code (default: $WABP_REGISTER_URL, else "
            "dataset.json join_url)"
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            help="public address of the service; the QR code then points to <base>/aanmelden "
            "(default: $WABP_BASE_URL)",
        ),
    ] = None,
    chromium: Annotated[
        Path | None, typer.Option(help="Chromium to print with (default: /usr/bin/chromium)")
    ] = None,
    data: DataOption = None,
) -> None:
    """Print posters for the infoborden (A3) or flyers (A4): one page per zone, with a QR code."""
    from geo.files import atomic_write_bytes, atomic_write_text
    from maps.pdf import ChromiumMissingError, html_to_pdf
    from maps.poster import render_posters
    from maps.register_url import registration_url

    paper = size.upper()
    if paper not in ("A4", "A3"):
        typer.echo(f"error: --size {size!r}: use A4 or A3", err=True)
        raise typer.Exit(2)
    settings = _settings(data)
    with _domain_errors():
        dataset = _dataset(data)
        try:
            url = registration_url(
                register_url or settings.register_url,
                dataset.meta.join_url,
                base_url or settings.base_url,
            )
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        html = render_posters(
            dataset, zone, register_url=url, paper="A3" if paper == "A3" else "A4"
        )
        try:
            pdf = html_to_pdf(html, chromium=chromium)
        except ChromiumMissingError as exc:
            # Still useful without Chromium: any browser prints the same page.
            page = out.with_suffix(".html")
            atomic_write_text(page, html)
            typer.echo(
                f"error: {exc}; wrote {page} instead: open it in a browser and print it", err=True
            )
            raise typer.Exit(1) from None
        atomic_write_bytes(out, pdf)
    typer.echo(f"wrote {out}: {len(zone)} page(s), {paper}, QR code to {url}")


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
        Path,
        typer.Option(
            help="zones: GeoJSON, shapefile or GeoPackage in WGS84, Lambert 72 or Lambert 2008; "
            "features need an id and a name"
        ),
    ],
    boundary: Annotated[
        Path | None,
        typer.Option(help="municipality boundaries (any format as --zones; optional)"),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="name shown on the map (default: the municipalities)")
    ] = None,
    police_zone: Annotated[
        str | None,
        typer.Option(
            "--police-zone",
            help='keep the municipalities of this police zone (e.g. "Kanton Borgloon") and '
            "make it the dataset's police zone",
        ),
    ] = None,
    id_field: Annotated[
        str | None, typer.Option(help="zone property holding the id (default: id, geoitem, code)")
    ] = None,
    name_field: Annotated[
        str | None, typer.Option(help="zone property holding the name (default: name, naam)")
    ] = None,
) -> None:
    """Create a dataset directory for one municipality or several (a police zone)."""
    from zones.importing import create_dataset

    with _domain_errors():
        report = create_dataset(
            directory,
            addresses,
            zones,
            boundary,
            name,
            police_zone=police_zone,
            id_field=id_field,
            name_field=name_field,
        )
    typer.echo(
        f"created {directory}: {report.addresses:,} addresses in postcode(s) {', '.join(report.postcodes)}, "
        f"{report.zones} zones, boundary: {report.boundary}"
    )
    typer.echo(f"municipalities: {', '.join(report.municipalities)}")
    if report.renamed:
        typer.echo("zone ids made slugs (the original is kept as property source_id):")
        for original, slug in report.renamed.items():
            typer.echo(f"  {original} -> {slug}")
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
        raw = infile.read_bytes()
        # Spreadsheets save CSV as UTF-8 or Windows-1252, and with ';' in a Belgian locale.
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
        delimiter = max([",", ";", "\t"], key=text.partition("\n")[0].count)
        # restval: a short row gets empty cells (cells beyond the header are dropped on writing).
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, restval="")
        rows = list(reader)
        fields = list(reader.fieldnames or [])
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
    writer = csv.DictWriter(
        buffer, fieldnames=[*fields, *LOOKUP_FILE_COLUMNS], extrasaction="ignore"
    )
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
    """List the generations of the zone set (from the database, which the files follow)."""
    from service.db import database_url, make_engine, make_sessionmaker, upgrade
    from service.generations import ZoneGenerations

    settings = _settings(data)
    engine = make_engine(database_url(settings))
    try:
        with _domain_errors():
            upgrade(engine)
            store = ZoneGenerations(make_sessionmaker(engine), settings.data_dir)
            store.reconcile()  # a dataset that only has files is imported first
            listed = store.list()
    finally:
        engine.dispose()
    for g in listed:
        typer.echo(f"{g.number:>4}  {g.created_at:%Y-%m-%d %H:%M}  {g.source:<24} {g.note}")


# --- staff accounts and the database -----------------------------------------------------------

users_app = typer.Typer(
    help="Staff accounts: coordinators, police and municipality.", no_args_is_help=True
)
db_app = typer.Typer(help="The database (SQLite file or $WABP_DATABASE_URL).", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(db_app, name="db")


@contextmanager
def _session(data: Path | None) -> Iterator[Session]:
    """Yield a session on the migrated database, committed at the end; errors exit 1 in one line."""
    from sqlalchemy.exc import SQLAlchemyError

    from service.db import database_url, make_engine, make_sessionmaker, upgrade
    from service.mail import session_info
    from service.users import UserError

    settings = _settings(data)
    engine = make_engine(database_url(settings))
    try:
        upgrade(engine)
        with make_sessionmaker(engine, info=session_info(settings))() as session:
            yield session
            session.commit()
    except (UserError, SQLAlchemyError, OSError) as exc:
        # SQLAlchemy appends the statement on later lines; the first says what went wrong.
        typer.echo(f"error: {str(exc).splitlines()[0]}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


def _zone_ids(data: Path | None) -> set[str]:
    from zones.generations import GenerationStore
    from zones.storage import load_zones

    path = GenerationStore(_settings(data).data_dir).current_path()
    return {zone.id for zone in load_zones(path)} if path.is_file() else set()


def _account_checks(data: Path | None, zone: str | None) -> tuple[set[str], Municipalities]:
    """Return what a new account is checked against: the zone ids and the held municipalities."""
    with _domain_errors():
        zone_ids = _zone_ids(data) if zone else set()
        return zone_ids, _dataset(data, strict=False).municipalities


@users_app.command("add")
def users_add(
    email: StaffEmail,
    role: StaffRole,
    zone: StaffZone = None,
    municipality: StaffMunicipality = None,
    police_zone: StaffPoliceZone = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="read the password from standard input"),
    ] = False,
    data: DataOption = None,
) -> None:
    """Add a staff account (the password is prompted for, or read with --password-stdin)."""
    from service.users import create_user

    if password_stdin:
        password = typer.get_text_stream("stdin").readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    zone_ids, held = _account_checks(data, zone)
    with _session(data) as session:
        user = create_user(
            session,
            email,
            password,
            role,
            zone_id=zone,
            municipality=municipality,
            police_zone=police_zone,
            known_zones=zone_ids,
            held=held,
        )
    scope = user.zone_id and f"zone {user.zone_id}"
    scope = scope or (user.police_zone and f"police zone {user.police_zone}") or user.municipality
    typer.echo(f"added {user.email} ({user.role}{f', {scope}' if scope else ''})")


@users_app.command("invite")
def users_invite(
    email: StaffEmail,
    role: StaffRole,
    zone: StaffZone = None,
    municipality: StaffMunicipality = None,
    police_zone: StaffPoliceZone = None,
    data: DataOption = None,
) -> None:
    """Add a staff account and mail its owner a link to choose a password (valid 7 days)."""
    from service.account_links import invite

    zone_ids, held = _account_checks(data, zone)
    with _session(data) as session:
        user = invite(
            session,
            email,
            role,
            zone_id=zone,
            municipality=municipality,
            police_zone=police_zone,
            known_zones=zone_ids,
            held=held,
        )
    typer.echo(f"invited {user.email} ({user.role}): the invitation is in the outbox")
    _warn_without_smtp(data)


@users_app.command("reset")
def users_reset(
    email: Annotated[str, typer.Argument(help="e-mail address of the account")],
    data: DataOption = None,
) -> None:
    """Mail a staff member a link to choose a new password (valid 1 hour)."""
    from service.account_links import request_reset
    from service.users import UnknownUserError

    with _session(data) as session:
        if not request_reset(session, email):
            raise UnknownUserError(
                f"no reset mail for {email.strip().lower()}: no active account, or one was "
                "sent less than 5 minutes ago"
            )
    typer.echo(f"reset link for {email.strip().lower()} is in the outbox")
    _warn_without_smtp(data)


def _warn_without_smtp(data: Path | None) -> None:
    if not _settings(data).smtp_host:
        typer.echo(
            "note: no SMTP server configured (WABP_SMTP_HOST): it waits; see `wabp outbox`",
            err=True,
        )


@users_app.command("list")
def users_list(data: DataOption = None) -> None:
    """List the staff accounts."""
    from service.users import list_users

    with _session(data) as session:
        for u in list_users(session):
            state = "" if u.active else "  (disabled)"
            typer.echo(
                f"{u.email:<40} {u.role:<13} {u.zone_id or '-':<16} "
                f"{u.municipality or u.police_zone or '-':<16}"
                f" {u.created_at:%Y-%m-%d}{state}"
            )


@users_app.command("remove")
def users_remove(
    email: Annotated[str, typer.Argument(help="e-mail address of the account")],
    data: DataOption = None,
) -> None:
    """Remove a staff account (only disabled when proposals still name it)."""
    from service.users import remove_user

    with _session(data) as session:
        outcome = remove_user(session, email)
    typer.echo(f"{outcome} {email.strip().lower()}")


@app.command()
def purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="only count what would be erased")
    ] = False,
    data: DataOption = None,
) -> None:
    """Erase what is past its retention: registrations, audit events, outbox, sessions, limits."""
    from datetime import UTC, datetime, timedelta

    from service.auth import LOGIN_WINDOW_SECONDS
    from service.limits import purge as purge_limits
    from service.mail.outbox import purge as purge_outbox
    from service.registrations import purge as purge_registrations
    from service.sessions import end_expired

    settings = _settings(data)
    with _session(data) as session:
        report = purge_registrations(
            session,
            refused_days=settings.retention_refused_days,
            removed_days=settings.retention_removed_days,
            pending_days=settings.retention_pending_days,
            leaving_days=settings.retention_leaving_days,
            audit_days=settings.retention_audit_days,
            dry_run=dry_run,
        )
        outbox = purge_outbox(session, settings.retention_outbox_days, dry_run=dry_run)
        sessions = end_expired(session)
        # Every limit's events, once the longest window has passed (pseudonyms of addresses).
        longest = max(
            settings.registration_rate_window, settings.login_client_window, LOGIN_WINDOW_SECONDS
        )
        counted = purge_limits(session, timedelta(seconds=longest), datetime.now(UTC))
        if dry_run:
            session.rollback()
    verb = "would erase" if dry_run else "erased"
    typer.echo(
        f"{verb} {report.refused} refused application(s) older than "
        f"{settings.retention_refused_days} days, {report.removed} removed member(s) older than "
        f"{settings.retention_removed_days} days, {report.pending} undecided application(s) "
        f"older than {settings.retention_pending_days} days, {report.leaving} member(s) who left "
        f"older than {settings.retention_leaving_days} days and {report.audit_events} audit "
        f"event(s) older than {settings.retention_audit_days} days"
    )
    typer.echo(
        f"{verb} {outbox} outbox message(s) older than {settings.retention_outbox_days} days"
    )
    typer.echo(f"{verb} {sessions} expired staff sign-in session(s)")
    typer.echo(f"{verb} {counted} limit count(s) older than {longest} seconds")


# --- the outbox ---------------------------------------------------------------------------------

outbox_app = typer.Typer(
    help="E-mail waiting to be sent: list it (no addresses or texts are shown), or send it now."
)
app.add_typer(outbox_app, name="outbox")


@outbox_app.callback(invoke_without_command=True)
def outbox_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="only queued, sent or failed messages")] = None,
    limit: Annotated[int, typer.Option(min=1, help="at most this many, newest first")] = 50,
    data: DataOption = None,
) -> None:
    """List the outbox: kind, state, attempts, next attempt and last error of each message."""
    if ctx.invoked_subcommand is not None:
        return
    from service.mail import counts, entries

    with _session(data) as session:
        rows = entries(session, status, limit)
        totals = counts(session)
    for e in rows:
        when = f"next {e.next_attempt_at:%Y-%m-%d %H:%M}" if e.next_attempt_at else ""
        if e.sent_at:
            when = f"sent {e.sent_at:%Y-%m-%d %H:%M}"
        error = f"  {e.last_error}" if e.last_error else ""
        typer.echo(
            f"{e.id}  {e.created_at:%Y-%m-%d %H:%M}  {e.kind:<30} {e.status:<7} "
            f"{e.attempts:>2} tries  {when}{error}"
        )
    summary = ", ".join(f"{totals.get(s, 0)} {s}" for s in ("queued", "sent", "failed"))
    typer.echo(f"outbox: {summary}")
    if not _settings(data).smtp_host and totals.get("queued"):
        typer.echo("no SMTP server configured (WABP_SMTP_HOST): queued mail waits", err=True)


@outbox_app.command("send")
def outbox_send(
    data: DataOption = None,
    limit: Annotated[int, typer.Option(min=1, help="at most this many messages")] = 500,
) -> None:
    """Send the messages that are due now, with retries as the service does (for cron)."""
    from service.db import database_url, make_engine, make_sessionmaker, upgrade
    from service.mail import Policy, SmtpConfig, send_due, session_info

    settings = _settings(data)
    config = SmtpConfig.from_settings(settings)
    if config is None:
        typer.echo(
            "error: no SMTP server configured: set WABP_SMTP_HOST and WABP_MAIL_FROM", err=True
        )
        raise typer.Exit(2)
    engine = make_engine(database_url(settings))
    try:
        upgrade(engine)
        factory = make_sessionmaker(engine, info=session_info(settings))
        report = send_due(factory, config, Policy.from_settings(settings), limit=limit)
    finally:
        engine.dispose()
    typer.echo(f"sent {report.sent}, to retry {report.retry}, failed {report.failed}")
    if report.retry or report.failed:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(data: DataOption = None) -> None:
    """Migrate the database to the newest schema (the service also does this at start)."""
    from sqlalchemy.engine import make_url

    from service.db import current_revision, database_url

    with _session(data) as session:
        revision = current_revision(session.get_bind().engine)
    url = make_url(database_url(_settings(data))).render_as_string(hide_password=True)
    typer.echo(f"{url} is at revision {revision}")


@db_app.command("revision")
def db_revision(
    message: Annotated[str, typer.Argument(help="what the migration changes, e.g. 'add groups'")],
    data: DataOption = None,
) -> None:
    """For developers: write the next migration from the difference between tables and database."""
    from service.db import new_revision

    with _session(data) as session:
        path = new_revision(session.get_bind().engine, message)
    typer.echo(f"wrote {path}: review it, then run ruff format")


@app.command()
def backup(
    out: Annotated[Path, typer.Argument(help="the archive to write, e.g. wabp-2026-12-02.tar.gz")],
    data: DataOption = None,
) -> None:
    """Back up the dataset (zones, generations, rules, key) and a SQLite database into one archive.

    Safe while the service runs. With PostgreSQL, the archive holds the files and this says how to
    back up the database with pg_dump.
    """
    from service.backup import BackupError
    from service.backup import backup as write_backup

    try:
        report = write_backup(_settings(data), out)
    except BackupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    rows = ", ".join(f"{table} {count}" for table, count in report.rows.items() if count)
    typer.echo(f"wrote {report.path}: {report.files} files; database {report.database}")
    if rows:
        typer.echo(f"rows: {rows}")
    if report.guidance:
        typer.echo(report.guidance, err=True)
    typer.echo("It holds personal data and the signing key: keep it private (encrypt copies).")


@app.command()
def restore(
    archive: Annotated[Path, typer.Argument(help="an archive written by `wabp backup`")],
    data: DataOption = None,
) -> None:
    """Restore a backup into an empty dataset directory (and its SQLite database); never overwrites."""
    from service.backup import BackupError
    from service.backup import restore as read_backup

    settings = _settings(data)
    try:
        report = read_backup(settings, archive)
    except (BackupError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"restored {report.files} files into {settings.data_dir}")
    if report.guidance:  # the database was PostgreSQL: pg_restore brings it back
        typer.echo(report.guidance, err=True)
    typer.echo(f"start it with: wabp serve --data {settings.data_dir}")
