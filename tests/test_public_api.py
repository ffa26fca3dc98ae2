"""Every name the README and the docstrings show imports as shown."""

import importlib
import inspect
import re
import subprocess
import sys
from pathlib import Path

import keras_featviz

ROOT = Path(__file__).resolve().parent.parent


def test_callbacks_are_reachable_from_the_package():
    assert keras_featviz.callbacks.FeatureVisualizationCallback.__name__ == "FeatureVisualizationCallback"
    assert keras_featviz.callbacks.GeneratorImageLogger.__name__ == "GeneratorImageLogger"


def test_every_name_in_all_imports():
    for name in keras_featviz.__all__:
        assert getattr(keras_featviz, name) is not None, name


def _documented_names():
    """`keras_featviz.a.b` names written in the README, the docs pages and the package's docstrings."""
    texts = [(ROOT / "README.md").read_text()]
    texts += [path.read_text() for path in sorted((ROOT / "docs").glob("*.md"))]
    texts += [path.read_text() for path in (ROOT / "keras_featviz").rglob("*.py")]
    names = set()
    for text in texts:
        names.update(re.findall(r"\bkeras_featviz(?:\.[A-Za-z_][A-Za-z0-9_]*)+", text))
    return sorted(names)


def test_every_documented_name_imports():
    missing = []
    for dotted in _documented_names():
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                found = importlib.import_module(".".join(parts[:cut]))
            except ModuleNotFoundError:
                continue
            for attribute in parts[cut:]:
                found = getattr(found, attribute, None)
            if found is None:
                missing.append(dotted)
            break
    assert not missing, missing


def test_importing_the_package_loads_no_backend():
    code = "import sys, keras_featviz; print('keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_relative_link_of_the_readme_and_docs_resolves():
    broken = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r'\]\(([^)#\s]+)(?:#[^)]*)?\)|src="([^"]+)"', page.read_text()):
            link = next(t for t in target if t)
            if "://" not in link and not (page.parent / link).exists():
                broken.append(f"{page.name}: {link}")
    assert not broken, broken


def test_the_module_table_names_every_module_and_only_modules():
    """docs/how_it_works.md's table of modules matches the package."""
    table = (
        (ROOT / "docs" / "how_it_works.md").read_text().split("| module | holds |", 1)[1].split("\n\n", 1)[0]
    )
    named = set()
    for row in table.splitlines()[2:]:
        named |= {name.rstrip("/") for name in re.findall(r"`([a-z_/]+)`", row.split("|")[1])}
    package = ROOT / "keras_featviz"
    modules = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    modules |= {p.name for p in package.iterdir() if (p / "__init__.py").exists()}
    assert named == modules, (sorted(modules - named), sorted(named - modules))


def test_no_module_shadows_a_public_name():
    """Importing every module must leave `keras_featviz.<name>` the function or class:
    a submodule named like a public name replaces it on the package once imported."""
    import importlib
    import pkgutil

    import keras_featviz

    for module in pkgutil.walk_packages(keras_featviz.__path__, "keras_featviz."):
        if module.name != "keras_featviz.cli.__main__":
            importlib.import_module(module.name)
    for name in keras_featviz._ATTRIBUTES:
        assert not inspect.ismodule(getattr(keras_featviz, name)), name


# What each subpackage may import of the package (its own modules aside),
# as its docstring says: the layers point down, from the views to the
# optimisation to the image makers to pictures and files.
ALLOWED_IMPORTS = {
    "io": {"defaults", "validation"},
    "makers": {"io", "config", "defaults", "surgery", "validation"},
    "optimization": {"makers", "defaults", "objectives", "surgery", "validation"},
    "views": {"io", "optimization", "defaults", "objectives", "preprocessing", "surgery", "validation"},
}


def _imported_parts(path):
    """The first part below `keras_featviz` of every package module `path` imports, lazily or not."""
    import ast

    parts = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("keras_featviz"):
            dotted = node.module.split(".")
            if len(dotted) > 1:
                parts.add(dotted[1])
            else:
                parts |= {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            parts |= {a.name.split(".")[1] for a in node.names if a.name.startswith("keras_featviz.")}
    return parts


def test_every_subpackage_imports_only_what_its_docstring_allows():
    wrong = []
    for package, allowed in ALLOWED_IMPORTS.items():
        for path in sorted((ROOT / "keras_featviz" / package).glob("*.py")):
            for part in _imported_parts(path) - allowed - {package}:
                wrong.append(f"{package}/{path.name} imports {part}")
    assert not wrong, wrong


def test_every_subpackage_docstring_names_each_of_its_modules():
    for package in ALLOWED_IMPORTS:
        docstring = importlib.import_module(f"keras_featviz.{package}").__doc__ or ""
        assert "May import:" in docstring, package
        for path in (ROOT / "keras_featviz" / package).glob("*.py"):
            if path.stem != "__init__":
                assert f"`{path.stem}`" in docstring, (package, path.stem)


def test_every_module_has_its_mirrored_test_file():
    """`tests/test_<module>.py`; `test_callbacks_<module>.py` and
    `test_cli_<module>.py` for the callbacks' and the commands' modules."""
    missing = []
    for path in sorted((ROOT / "keras_featviz").rglob("*.py")):
        if path.stem in ("__init__", "__main__"):
            continue
        folder = path.parent.name
        prefix = f"test_{folder}_" if folder in ("callbacks", "cli") else "test_"
        if not (ROOT / "tests" / f"{prefix}{path.stem}.py").exists():
            missing.append(str(path.relative_to(ROOT)))
    assert not missing, missing


def _public_callables():
    """Every public function and method of the names the package exports."""
    modules = [keras_featviz, keras_featviz.callbacks]
    modules += [
        importlib.import_module(f"keras_featviz.{m}") for m in ("objectives", "preprocessing", "devices")
    ]
    found = {}
    for module in modules:
        for name in getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]:
            value = getattr(module, name)
            if not getattr(value, "__module__", "").startswith("keras_featviz"):
                continue
            if inspect.isfunction(value):
                found[f"{value.__module__}.{name}"] = value
            elif inspect.isclass(value):
                for attribute, member in vars(value).items():
                    if attribute.startswith("_") and attribute != "__init__":
                        continue
                    member = getattr(member, "__func__", getattr(member, "fget", member))
                    if inspect.isfunction(member):
                        found[f"{value.__module__}.{value.__name__}.{attribute}"] = member
    return found


def test_the_public_api_is_type_hinted():
    missing = []
    for name, function in sorted(_public_callables().items()):
        signature = inspect.signature(function)
        bare = [
            p.name
            for p in signature.parameters.values()
            if p.name not in ("self", "cls")
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            and p.annotation is inspect.Parameter.empty
        ]
        if signature.return_annotation is inspect.Signature.empty:
            bare.append("return")
        if bare:
            missing.append((name, bare))
    assert len(_public_callables()) > 80
    assert not missing, missing
