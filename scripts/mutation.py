"""Mutation testing of one domain module with its own test files (mutmut 3): `make mutation`.

    .venv/bin/python -m scripts.mutation attribution/rules.py tests/unit/test_attribution_rules.py

mutmut mutates the module in a copy of the project (under .mutation/<module>/, so the
work tree is never touched) and runs the given tests against each mutant. Prints
mutmut's per-mutant results and the score: killed / (killed + survived), over what
mutmut mutated. What mutmut 3 leaves alone (README, "Mutation testing"): module-level
code, decorated functions, and lines marked `# pragma: no mutate`.

Tests that inspect the module rather than run it are left out of a mutation run (mutmut's
trampolines change its imports): the `-k` expression below names them.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPIED = ("tests", "local", "template.yaml", "README.md")
NOT_UNDER_MUTATION = "not imports_only_the_standard_library"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.mutation")
    parser.add_argument("module", help="a module under functions/soundlink/, e.g. attribution/rules.py")
    parser.add_argument("tests", nargs="+", help="the test files that should kill its mutants")
    parser.add_argument("--max-children", default="2")
    parser.add_argument(
        "--timeout-constant",
        type=float,
        default=5.0,
        help="seconds added to a mutant's measured test time before mutmut multiplies it (x15) into its "
        "time limit. mutmut measures the tests' calls only, not their fixtures (a moto start, a table "
        "created): a run whose fixtures cost more than its tests needs this headroom, or under load a "
        "surviving mutant's full run is reported as a timeout (mutmut's own default is 1)",
    )
    args = parser.parse_args(argv)
    module = Path("functions/soundlink") / args.module
    if not (ROOT / module).is_file():
        parser.error(f"{module} does not exist")
    work = ROOT / ".mutation" / args.module.replace("/", "_").removesuffix(".py")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "test-artifacts")
    # mutmut names a mutant by its file's path from the working directory, so the packages
    # under functions/ (soundlink, the handlers) sit at the top of the copy.
    handlers = []
    for package in sorted((ROOT / "functions").iterdir()):
        if package.is_dir() and package.name != "__pycache__":
            shutil.copytree(package, work / package.name, ignore=ignore)
            if package.name != "soundlink":
                handlers.append(package.name)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, work / name, ignore=ignore)
        else:
            shutil.copy2(source, work / name)
    config = (ROOT / "pyproject.toml").read_text().replace('pythonpath = ["functions", "."]', 'pythonpath = ["."]')
    tests = ", ".join(f'"{test}"' for test in args.tests)
    # The handlers' packages too: handler tests import them (mutmut runs from mutants/).
    also_copy = ", ".join(f'"{name}"' for name in ("local", "template.yaml", "README.md", *handlers))
    config += (
        "\n[tool.mutmut]\n"
        'source_paths = ["soundlink"]\n'
        f'only_mutate = ["soundlink/{args.module}"]\n'
        f"pytest_add_cli_args_test_selection = [{tests}]\n"
        f'pytest_add_cli_args = ["-p", "no:cacheprovider", "-k", "{NOT_UNDER_MUTATION}"]\n'
        f"also_copy = [{also_copy}]\n"
        f"timeout_constant = {args.timeout_constant}\n"
    )
    (work / "pyproject.toml").write_text(config)
    mutmut = [str(Path(sys.executable).with_name("mutmut"))]
    subprocess.run([*mutmut, "run", "--max-children", args.max_children], cwd=work, check=False)  # noqa: S603
    results = subprocess.run(  # noqa: S603
        [*mutmut, "results", "--all", "true"], cwd=work, capture_output=True, text=True, check=False
    ).stdout
    statuses = Counter(line.rsplit(":", 1)[1].strip() for line in results.splitlines() if ":" in line)
    for line in results.splitlines():
        if line.rstrip().endswith(("survived", "no tests", "timeout", "suspicious")):
            print(line)
    killed, survived = statuses.get("killed", 0), statuses.get("survived", 0)
    score = killed / (killed + survived) if killed + survived else 0.0
    print(f"{module}: {dict(statuses)}; score {killed}/{killed + survived} = {score:.1%}")
    print(f"inspect a survivor: cd {work.relative_to(ROOT)} && ../../.venv/bin/mutmut show <name>")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
