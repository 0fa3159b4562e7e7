"""The layer rules of ``ingest_plugin`` (docs/architecture.md), checked on the source with the stdlib ``ast``.

Nothing here imports the package: every ``.py`` file under ``ingest_plugin/`` is parsed and every import in it is
collected — top level, inside functions, under ``if TYPE_CHECKING:``, relative or absolute, ``import x.y`` and
``from x import y`` (which means module ``x.y`` when that is a module, else module ``x``), and
``importlib.import_module("x")`` / ``__import__("x")`` with a literal name.

The checkers take the directory that holds ``ingest_plugin/``, so ``test_checkers_report_a_synthetic_package``
runs them on a small package built under ``tmp_path`` with one violation of each kind: that test is the proof that
the rules bite.
"""
from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent

import pytest

PACKAGE = "ingest_plugin"
REPO_ROOT = Path(__file__).resolve().parents[1]  # holds ingest_plugin/


# --- The rules, as data --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layer:
    rank: int  # 1 is the top. A module may import its own layer and layers with a larger rank (imports point down)
    name: str
    modules: tuple[str, ...]  # each names a module and everything under it; the bare package name only itself


# Same rank = siblings: neither may import the other.
LAYERS: tuple[Layer, ...] = (
    Layer(0, "testing", ("ingest_plugin.testing",)),  # local S3 servers and the demo: may use it all, used by none
    Layer(1, "entrypoints", ("ingest_plugin.entrypoints", "ingest_plugin.__main__",
                             "ingest_plugin.aws_lambda")),  # cli, webhook, cron, reingest; the Lambda handler's place
    Layer(3, "ingest", ("ingest_plugin.ingest",)),  # application: jobs, payloads, resolve, handler, runs, queue, spool
    Layer(4, "config", ("ingest_plugin.config",)),
    Layer(5, "publishing", ("ingest_plugin.publishing",)),  # S3
    Layer(5, "transport", ("ingest_plugin.transport",)),  # HTTP fetch, local files, stdin
    Layer(6, "api", ("ingest_plugin",)),  # ingest_plugin/__init__.py: parse, parse_items, IngestError, ErrorCode
    Layer(7, "parsing", ("ingest_plugin.parsing",)),  # pure: bytes -> validated ninjs
    Layer(8, "base", ("ingest_plugin.partners", "ingest_plugin.errors", "ingest_plugin.log", "ingest_plugin.schemas")),
)

# Narrower than the ranks: importing layer -> {imported layer: the only modules it may import from that layer}.
ONLY: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "config": {
        "publishing": ("ingest_plugin.publishing.settings",),
        "transport": ("ingest_plugin.transport.fetch",),
    },
    "api": {"base": ("ingest_plugin.errors",)},  # the public API re-exports parsing and errors, nothing else
}

# Known, intended exceptions: (importing module, imported module) -> why. Every entry is a debt; keep it empty.
ALLOWED: Mapping[tuple[str, str], str] = {}

# Layers that must stay free of I/O, and the modules of them that may read files anyway.
PURE_LAYERS = ("parsing", "base")
PURE_EXEMPT = {"ingest_plugin.schemas": "reads its own JSON schema files (package data)",
               "ingest_plugin.partners.packaged": "reads the built-in partners' file (package data)"}
IO_MODULES = (
    "socket", "ssl", "http", "urllib.request", "boto3", "botocore", "subprocess", "waitress", "requests", "shutil",
    "tempfile",
)
IO_BUILTINS = frozenset({"open"})  # called by name
IO_METHODS = frozenset({"read_text", "read_bytes", "write_text", "write_bytes", "open", "unlink", "mkdir", "urlopen"})
OS_IO = frozenset({  # os.<name>(...)
    "remove", "unlink", "rename", "replace", "rmdir", "removedirs", "mkdir", "makedirs", "open", "fdopen", "system",
    "popen", "listdir", "scandir", "walk", "truncate", "link", "symlink",
})

TESTING = "ingest_plugin.testing"
MAY_IMPORT_TESTING = ("testing",)  # and tests/, bench/ and soak/, which are not part of the package


# --- Reading the source --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Module:
    name: str
    path: Path  # relative to the root
    is_package: bool


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str  # the module, resolved: `from a import b` is a.b when a.b is a module of the package, else a
    spelled: str  # `from a import b` -> "a.b" even when b is no module (for matching outside modules: urllib.request)
    where: str  # file:line

    def __str__(self) -> str:
        return f"{self.importer} -> {self.imported} ({self.where})"


def find_modules(root: Path, package: str = PACKAGE) -> dict[str, Module]:
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        relative = path.relative_to(root)
        parts = list(relative.with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        modules[".".join(parts)] = Module(".".join(parts), relative, is_package)
    return modules


def parse(root: Path, module: Module) -> ast.Module:
    return ast.parse((root / module.path).read_bytes(), filename=str(module.path))


def collect_imports(root: Path, modules: Mapping[str, Module]) -> list[Import]:
    found = []
    for module in modules.values():
        for node in ast.walk(parse(root, module)):
            where = f"{module.path.as_posix()}:{getattr(node, 'lineno', 0)}"
            for imported, spelled in _imported_by(node, module, modules):
                found.append(Import(module.name, imported, spelled, where))
    return list(dict.fromkeys(found))  # `from a import b, c` names a once


def _imported_by(node: ast.AST, module: Module, modules: Mapping[str, Module]) -> Iterator[tuple[str, str]]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name, alias.name
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:  # relative: from the module's own package, one package up per extra dot
            package = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join(package + ([node.module] if node.module else []))
        for alias in node.names:
            spelled = base if alias.name == "*" else f"{base}.{alias.name}"
            yield (spelled if spelled in modules else base), spelled
    elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        function = node.func
        dynamic = (isinstance(function, ast.Name) and function.id == "__import__") or (
            isinstance(function, ast.Attribute) and function.attr == "import_module"
        )
        if dynamic and isinstance(node.args[0].value, str) and not node.args[0].value.startswith("."):
            yield node.args[0].value, node.args[0].value


def _within(name: str, prefix: str) -> bool:
    return name == prefix or (prefix != PACKAGE and name.startswith(prefix + "."))


def layer_of(name: str, layers: Iterable[Layer] = LAYERS) -> Layer | None:
    matches = [(len(prefix), layer) for layer in layers for prefix in layer.modules if _within(name, prefix)]
    return max(matches, key=lambda match: match[0])[1] if matches else None


def _in_package(name: str) -> bool:
    return name == PACKAGE or name.startswith(PACKAGE + ".")


# --- The checkers: each returns one readable line per problem --------------------------------------------------------


def layer_problems(
    root: Path,
    layers: tuple[Layer, ...] = LAYERS,
    only: Mapping[str, Mapping[str, tuple[str, ...]]] = ONLY,
    allowed: Mapping[tuple[str, str], str] = ALLOWED,
) -> list[str]:
    modules = find_modules(root)
    problems = [
        f"{module.name} ({module.path.as_posix()}) is in no layer: add it to LAYERS"
        for module in modules.values()
        if layer_of(module.name, layers) is None
    ]
    used = set()
    for imp in collect_imports(root, modules):
        if not _in_package(imp.imported):
            continue
        source, target = layer_of(imp.importer, layers), layer_of(imp.imported, layers)
        if source is None:
            continue  # reported above
        if imp.imported not in modules:
            why = "no such module in the package (a stale import, or one not written yet?)"
        elif target is None or target == source:
            continue
        elif target.rank < source.rank:
            why = f"{source.name} may not import {target.name}, a higher layer"
        elif target.rank == source.rank:
            why = f"{source.name} may not import its sibling {target.name}"
        elif target.name in only.get(source.name, {}) and not any(
            _within(imp.imported, permitted) for permitted in only[source.name][target.name]
        ):
            permitted = ", ".join(only[source.name][target.name])
            why = f"from {target.name}, {source.name} may import only {permitted}"
        else:
            continue
        if (imp.importer, imp.imported) in allowed:
            used.add((imp.importer, imp.imported))
            continue
        problems.append(f"{imp}: {why}")
    problems += [f"ALLOWED entry {pair[0]} -> {pair[1]} is no longer needed: remove it" for pair in set(allowed) - used]
    return problems


def io_problems(
    root: Path,
    layers: tuple[Layer, ...] = LAYERS,
    pure: tuple[str, ...] = PURE_LAYERS,
    exempt: Mapping[str, str] = PURE_EXEMPT,
) -> list[str]:
    modules = find_modules(root)
    checked = {
        name: module
        for name, module in modules.items()
        if (layer := layer_of(name, layers)) is not None
        and layer.name in pure
        and not any(_within(name, prefix) for prefix in exempt)
    }
    problems = [
        f"{imp.importer} -> {name} ({imp.where}) is an I/O module"
        for imp in collect_imports(root, checked)
        for name in dict.fromkeys((imp.spelled, imp.imported))  # `from urllib import request`: urllib.request
        if any(_within(name, io) for io in IO_MODULES)
    ]
    for module in checked.values():
        for node in ast.walk(parse(root, module)):
            if isinstance(node, ast.Call) and (call := _io_call(node.func)):
                problems.append(f"{module.name} calls {call}() ({module.path.as_posix()}:{node.lineno})")
    return problems


def _io_call(function: ast.expr) -> str | None:
    if isinstance(function, ast.Name) and function.id in IO_BUILTINS:
        return function.id
    if isinstance(function, ast.Attribute):
        if isinstance(function.value, ast.Name) and function.value.id == "os" and function.attr in OS_IO:
            return f"os.{function.attr}"
        if function.attr in IO_METHODS:
            return f".{function.attr}"
    return None


def misplaced_testing_imports(root: Path, layers: tuple[Layer, ...] = LAYERS) -> list[str]:
    problems = []
    for imp in collect_imports(root, find_modules(root)):
        if _within(imp.imported, TESTING):
            layer = layer_of(imp.importer, layers)
            if layer is None or layer.name not in MAY_IMPORT_TESTING:
                problems.append(f"{imp}: only {TESTING} itself and the tests may import {TESTING}")
    return problems


def _fail_on(problems: list[str], rule: str) -> None:
    if problems:
        pytest.fail(f"{len(problems)} problem(s) with {rule} (docs/architecture.md):\n  " + "\n  ".join(problems),
                    pytrace=False)


# --- The package ----------------------------------------------------------------------------------------------------


def test_imports_point_down_the_layers() -> None:
    _fail_on(layer_problems(REPO_ROOT), "the layer rules")


def test_parsing_and_base_do_no_io() -> None:
    _fail_on(io_problems(REPO_ROOT), "I/O in the pure layers (parsing, base)")


def test_only_entry_points_import_testing() -> None:
    _fail_on(misplaced_testing_imports(REPO_ROOT), f"imports of {TESTING}")


def test_the_layer_table_is_consistent() -> None:
    names = [layer.name for layer in LAYERS]
    assert len(names) == len(set(names)), "a layer name appears twice"
    assert [layer.rank for layer in LAYERS] == sorted(layer.rank for layer in LAYERS), "LAYERS must go top to bottom"
    for source, targets in ONLY.items():
        assert source in names and all(target in names for target in targets), f"ONLY names an unknown layer: {source}"
    assert set(PURE_LAYERS) <= set(names) and set(MAY_IMPORT_TESTING) <= set(names)
    assert find_modules(REPO_ROOT), "found no module: is REPO_ROOT right?"


# --- Proof that the rules bite ---------------------------------------------------------------------------------------

SYNTHETIC = {
    "__init__.py": "from ingest_plugin import errors, log\nfrom ingest_plugin.parsing import pipeline\n",
    "__main__.py": "from ingest_plugin.entrypoints import cli\n",
    "errors.py": "import enum\n",
    "log.py": "import sys\nsys.stderr.write('x')\n",
    "partners/__init__.py": "from ingest_plugin.errors import IngestError\nimport socket\n",
    "schemas/__init__.py": "from pathlib import Path\nSCHEMA = (Path(__file__).parent / 'x.json').read_text()\n",
    "parsing/__init__.py": "",
    "parsing/load.py": "MAX = 10\n",
    "parsing/pipeline.py": "from . import bad, load\nfrom .. import partners, log\nfrom ingest_plugin import schemas\n",
    "parsing/bad.py": """\
        from typing import TYPE_CHECKING

        from ingest_plugin.publishing import s3io

        if TYPE_CHECKING:
            from ..ingest.jobs import Job


        def read(path):
            import boto3
            from urllib import request
            with open(path) as handle:
                path.write_text(handle.read())
            os.remove(path)
            return importlib.import_module("ingest_plugin.config")
        """,
    "publishing/__init__.py": "from .s3io import Bucket\n",
    "publishing/s3io.py": "import botocore\nfrom ingest_plugin.parsing.pipeline import parse\n",
    "publishing/settings.py": "import boto3\n",
    "publishing/publisher.py": "from ingest_plugin.ingest.spool import Spool\n",
    "transport/__init__.py": "",
    "transport/fetch.py": """\
        import socket
        from ..publishing.s3io import Bucket


        def user_agent():
            from ingest_plugin import __version__
        """,
    "config.py": """\
        from ingest_plugin import partners
        from ingest_plugin.parsing.load import MAX
        from ingest_plugin.publishing.settings import S3Settings
        from ingest_plugin.publishing import Publisher
        from ingest_plugin.transport.fetch import FetchPolicy
        """,
    "ingest/__init__.py": "",
    "ingest/jobs.py": "import ingest_plugin.testing.local_s3\nfrom ingest_plugin.config import Config\n",
    "ingest/spool.py": """\
        import tempfile
        from ingest_plugin.publishing import Publisher
        from ingest_plugin.core import ingest_one
        """,
    "testing/__init__.py": "",
    "testing/local_s3.py": "import subprocess\nfrom ingest_plugin.publishing.settings import S3Settings\n",
    "entrypoints/__init__.py": "",
    "entrypoints/cli.py": "from ingest_plugin.testing.local_s3 import Server\n",
    "testing/demo.py": "from ingest_plugin.testing.local_s3 import Server\nfrom ingest_plugin.ingest import jobs\n",
    "stray.py": "",
}


@pytest.fixture
def synthetic(tmp_path: Path) -> Path:
    for name, source in SYNTHETIC.items():
        path = tmp_path / PACKAGE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(source), encoding="utf-8")
    return tmp_path


def _pairs(problems: list[str]) -> set[str]:
    return {problem.split(" (")[0] for problem in problems}


def test_checkers_report_a_synthetic_package(synthetic: Path) -> None:
    assert _pairs(layer_problems(synthetic)) == {
        "ingest_plugin.stray",  # in no layer
        "ingest_plugin -> ingest_plugin.log",  # the public API: parsing and errors only
        "ingest_plugin.parsing.bad -> ingest_plugin.publishing.s3io",  # `from pkg import module`, upward
        "ingest_plugin.parsing.bad -> ingest_plugin.ingest.jobs",  # relative, under TYPE_CHECKING
        "ingest_plugin.parsing.bad -> ingest_plugin.config",  # importlib.import_module, inside a function
        "ingest_plugin.publishing.publisher -> ingest_plugin.ingest.spool",  # upward, to the application layer
        "ingest_plugin.transport.fetch -> ingest_plugin.publishing.s3io",  # sibling, relative
        "ingest_plugin.config -> ingest_plugin.publishing",  # config: publishing.settings only
        "ingest_plugin.ingest.jobs -> ingest_plugin.testing.local_s3",  # `import a.b.c`
        "ingest_plugin.entrypoints.cli -> ingest_plugin.testing.local_s3",  # testing is for tests and the demo
        "ingest_plugin.ingest.spool -> ingest_plugin.core",  # no such module
    }  # and nothing else: same-layer and downward imports, config -> publishing.settings, fetch -> api pass
    assert (
        "ingest_plugin.parsing.bad -> ingest_plugin.publishing.s3io (ingest_plugin/parsing/bad.py:3): "
        "parsing may not import publishing, a higher layer"
    ) in layer_problems(synthetic)

    assert _pairs(io_problems(synthetic)) == {
        "ingest_plugin.partners -> socket",
        "ingest_plugin.parsing.bad -> boto3",
        "ingest_plugin.parsing.bad -> urllib.request",  # spelled `from urllib import request`
        "ingest_plugin.parsing.bad calls open()",
        "ingest_plugin.parsing.bad calls .write_text()",
        "ingest_plugin.parsing.bad calls os.remove()",
    }  # not schemas (exempt), not transport, publishing, ingest or testing (not pure layers)

    testing = {"ingest_plugin.ingest.jobs -> ingest_plugin.testing.local_s3",
               "ingest_plugin.entrypoints.cli -> ingest_plugin.testing.local_s3"}  # not testing.demo
    assert _pairs(misplaced_testing_imports(synthetic)) == testing


def test_allowed_exceptions_are_explicit_and_expire(synthetic: Path) -> None:
    pair = ("ingest_plugin.publishing.publisher", "ingest_plugin.ingest.spool")
    stale = ("ingest_plugin.parsing.text", "ingest_plugin.publishing")
    problems = layer_problems(synthetic, allowed={pair: "moving", stale: "moved"})
    assert not any(problem.startswith(" -> ".join(pair)) for problem in problems)
    assert f"ALLOWED entry {stale[0]} -> {stale[1]} is no longer needed: remove it" in problems


def test_a_clean_package_passes(synthetic: Path) -> None:
    for name in ("stray.py", "parsing/bad.py", "publishing/publisher.py", "ingest/spool.py", "entrypoints/cli.py"):
        (synthetic / PACKAGE / name).unlink()
    for name, source in {
        "__init__.py": "from ingest_plugin.errors import IngestError\nfrom ingest_plugin.parsing import pipeline\n",
        "partners/__init__.py": "from ingest_plugin.errors import IngestError\n",
        "parsing/pipeline.py": "from .. import partners, log\n",
        "transport/fetch.py": "import socket\nfrom ..parsing import pipeline\n",
        "config.py": "from ingest_plugin.publishing.settings import S3Settings\n",
        "ingest/jobs.py": "from ingest_plugin.config import Config\nfrom ingest_plugin.publishing import s3io\n",
    }.items():
        (synthetic / PACKAGE / name).write_text(source, encoding="utf-8")
    assert layer_problems(synthetic) == []
    assert io_problems(synthetic) == []
    assert misplaced_testing_imports(synthetic) == []
