"""``flask --app app ...`` commands: seed, tokens create, validate, probes reprocess."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from api.db import db
from virtcompat.config import ROOT


def register_cli(app: Flask) -> None:
    @app.cli.command("seed")
    @click.option(
        "--dir",
        "seed_dir",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        default=ROOT / "seed",
        show_default=True,
        help="Folder of seed YAML files.",
    )
    @click.option(
        "--sources/--no-sources",
        default=True,
        show_default=True,
        help="Also import the shipped bulk sources in <dir>/sources (unchanged files skipped).",
    )
    def seed_command(seed_dir: Path, sources: bool) -> None:
        """Load or update the catalogue from seed/ and its shipped sources (idempotent)."""
        from virtcompat.catalogue import import_shipped
        from virtcompat.catalogue.checks import SeedError
        from virtcompat.catalogue.loader import load_seed

        session = db()
        try:
            report = load_seed(session, seed_dir)
            session.commit()
        except SeedError as exc:
            session.rollback()
            click.echo(f"seed data is invalid:\n{exc}", err=True)
            sys.exit(1)
        click.echo(str(report))
        if sources and (seed_dir / "sources").is_dir():
            results = import_shipped(session, seed_dir / "sources")
            skipped = sum(r.status == "skipped" for r in results)
            for r in results:
                if r.status != "skipped":
                    click.echo(r.line())
            click.echo(f"sources: {len(results)} files, {skipped} unchanged (skipped by sha256)")
            if any(r.status == "failed" for r in results):
                sys.exit(1)

    catalogue = AppGroup("catalogue", help="Bulk imports into the catalogue.")

    @catalogue.command("import")
    @click.option(
        "--source",
        "kind",
        required=True,
        type=click.Choice(["ark", "ark-json", "codenames", "cpuid", "amd", "qubes-hcl", "lpc-ids"]),
        help="The format of the files.",
    )
    @click.option("--force", is_flag=True, help="Re-read files whose content was imported.")
    @click.argument(
        "paths",
        nargs=-1,
        required=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
    )
    def catalogue_import(kind: str, force: bool, paths: tuple[Path, ...]) -> None:
        """Import bulk source files; one transaction per file; prints a summary per file.

        Importing a file again changes nothing; a file whose content was already imported is
        skipped unless --force.
        """
        from virtcompat.catalogue import import_paths

        results = import_paths(db(), kind, list(paths), force=force, root=ROOT / "seed" / "sources")
        for r in results:
            click.echo(r.line())
        if any(r.status == "failed" for r in results):
            sys.exit(1)

    app.cli.add_command(catalogue)

    tokens = AppGroup("tokens", help="Manage API tokens (only their hashes are stored).")

    @tokens.command("create")
    @click.option("--name", required=True, help="Who or what uses the token.")
    @click.option(
        "--scope",
        "scopes",
        required=True,
        multiple=True,
        help="probe:write, probe:read, catalog:write or admin (repeat for several).",
    )
    def tokens_create(name: str, scopes: tuple[str, ...]) -> None:
        """Create a token and print it once, alone on the last line."""
        from virtcompat.tokens import create_token

        session = db()
        try:
            token, secret = create_token(session, name, [s for x in scopes for s in x.split(",")])
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--scope") from None
        session.commit()
        click.echo(
            f"created token {token.id} '{name}' with scopes {', '.join(token.scopes)}", err=True
        )
        click.echo(secret)

    @tokens.command("list")
    def tokens_list() -> None:
        """List tokens (id, name, scopes, created, revoked); secrets are never shown."""
        from virtcompat.tokens import list_tokens

        for t in list_tokens(db()):
            revoked = t.revoked_at.isoformat() if t.revoked_at else "-"
            click.echo(
                f"{t.id}\t{t.name}\t{','.join(t.scopes)}\t{t.created_at:%Y-%m-%d}\t"
                f"revoked={revoked}"
            )

    @tokens.command("revoke")
    @click.argument("token_id", type=int)
    def tokens_revoke(token_id: int) -> None:
        """Revoke a token by id: it stops authenticating at once."""
        from virtcompat.tokens import revoke_token

        session = db()
        if not revoke_token(session, token_id):
            click.echo(f"no active token with id {token_id}", err=True)
            sys.exit(1)
        session.commit()
        click.echo(f"revoked token {token_id}")

    app.cli.add_command(tokens)

    @app.cli.command("validate")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(["auto", "xm", "xl", "libvirt"]),
        default="auto",
        help="auto: a .xml file (or a <domain> document) is libvirt, else xm/xl by content.",
    )
    @click.option("--xen-version", default=None, help="e.g. 3.4 or 4.17")
    @click.option("--sarif", is_flag=True, help="Print SARIF 2.1.0 JSON instead of lines.")
    def validate_command(file: Path, fmt: str, xen_version: str | None, sarif: bool) -> None:
        """Validate a domain config (xm, xl, libvirt XML): exit 0 valid, 1 invalid, 2 unreadable."""
        import json

        from virtcompat.domain.safexml import UnsafeXml
        from virtcompat.xen.report import format_lines
        from virtcompat.xen.sarif import to_sarif
        from virtcompat.xen.validate import MAX_CONFIG_BYTES, validate_config

        try:
            with file.open("rb") as fh:
                data = fh.read(MAX_CONFIG_BYTES + 1)
        except OSError as exc:
            click.echo(f"{file}: cannot read: {exc.strerror or exc}", err=True)
            sys.exit(2)
        if len(data) > MAX_CONFIG_BYTES:
            click.echo(f"{file}: larger than {MAX_CONFIG_BYTES} bytes", err=True)
            sys.exit(2)
        if fmt == "auto" and file.suffix.lower() == ".xml":
            fmt = "libvirt"
        try:
            result = validate_config(data, fmt, xen_version)
        except UnsafeXml as exc:
            click.echo(f"{file}: refused unread: {exc}", err=True)
            sys.exit(2)
        except ValueError as exc:
            click.echo(f"{file}: {exc}", err=True)
            sys.exit(2)
        if sarif:
            click.echo(json.dumps(to_sarif(result, file.name), indent=2))
        else:
            for line in format_lines(result, str(file)):
                click.echo(line)
        sys.exit(0 if result.valid else 1)

    probes = AppGroup("probes", help="Probe report maintenance.")

    @probes.command("reprocess")
    @click.option("--batch", default=100, show_default=True, help="Probes per transaction.")
    def probes_reprocess(batch: int) -> None:
        """Re-run the current parsers and rules over every stored probe."""
        from virtcompat.ingest import reprocess_all

        session = db()
        count = reprocess_all(session, batch_size=batch, salt=_salt())
        click.echo(f"reprocessed {count} probe(s)")

    app.cli.add_command(probes)

    stats_group = AppGroup("stats", help="Dashboard aggregates.")

    @stats_group.command("rebuild")
    def stats_rebuild() -> None:
        """Recompute every probe aggregate (dashboard counts, evidence tallies) from the
        stored probes, in one transaction."""
        from virtcompat import stats
        from virtcompat.catalog import bump_version

        session = db()
        report = stats.rebuild(session)
        bump_version(session, spec=False)  # /compat and the matrix cite the recounted tallies
        session.commit()
        click.echo(str(report))

    app.cli.add_command(stats_group)


def _salt() -> str:
    from flask import current_app

    return str(current_app.config["PROBE_SALT"])
