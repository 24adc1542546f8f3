"""The student release: installable without solutions/, scores the untouched
stubs 0, and holds no solution text anywhere."""
from __future__ import annotations

import json
import os
import re
import site
import subprocess
import sys
from pathlib import Path

import pytest

from dlkit.build import find_regions, sources
from dlkit.release import release
from tests.helpers import run_cli


def solution_snippets() -> set[str]:
    """What would give a region away: a one-line region's line, and every two
    consecutive lines of a longer one (single idioms such as
    `with torch.no_grad():` are common to any code)."""
    snippets: set[str] = set()
    for _, source in sources():
        text = source.read_text(encoding="utf-8").splitlines()
        for region in find_regions(text, source):
            body = [l.strip() for l in text[region.start + 1 : region.end] if l.strip()]
            if len(body) == 1:
                snippets.add(body[0])
            # A line of punctuation (")", "]") closes any call: paired with
            # it, a line such as "return study" gives nothing away.
            snippets.update(
                f"{a}\n{b}" for a, b in zip(body, body[1:]) if any(map(str.isalnum, a)) and any(map(str.isalnum, b))
            )
    return snippets


def test_release_holds_no_solution(tmp_path: Path) -> None:
    out = release(tmp_path / "student")
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "assignments", "dlkit", "graders", "pyproject.toml"]
    secrets = solution_snippets()
    assert secrets
    for path in out.rglob("*"):
        if path.is_file():
            raw = path.read_text(encoding="utf-8", errors="replace")
            text = "\n".join(line.strip() for line in raw.splitlines() if line.strip())
            leaked = [s for s in secrets if s in text]
            assert not leaked, f"{path.relative_to(out)} holds solution lines: {leaked[:3]}"
            assert "### BEGIN SOLUTION" not in text.splitlines()
    packages = (out / "pyproject.toml").read_text(encoding="utf-8")
    assert "solutions*" not in packages and "instructor*" not in packages
    with pytest.raises(FileExistsError):
        release(out)


@pytest.mark.slow
def test_release_installs_and_grades_stubs_zero(tmp_path: Path) -> None:
    out = release(tmp_path / "student")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    # The new environment sees this one's third-party packages as a plain path
    # (torch is not installed twice) but not its .pth hooks, so the
    # instructors' editable install — and with it `solutions` — stays invisible.
    purelib = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    Path(purelib, "parent_env.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    py = str(venv / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run(
        [py, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-e", str(out)],
        check=True, cwd=out, env=env, capture_output=True,
    )
    for package in ("solutions", "instructor"):
        probe = subprocess.run([py, "-c", f"import {package}"], cwd=out, env=env, capture_output=True, text=True)
        assert probe.returncode != 0 and f"No module named '{package}'" in probe.stderr
    hidden = subprocess.run([str(venv / "bin" / "dlkit"), "check", "--hidden"], cwd=out, env=env,
                            capture_output=True, text=True, timeout=120)
    assert hidden.returncode == 2 and "no instructor-only graders" in hidden.stderr, hidden.stderr
    # Help offers only what students can use; the instructors' commands refuse with a reason.
    dlkit = str(venv / "bin" / "dlkit")
    top = subprocess.run([dlkit, "--help"], cwd=out, env=env, capture_output=True, text=True, timeout=120).stdout
    listed = set(re.findall(r"^    (\w+)", top.split("COMMAND\n", 1)[1], re.MULTILINE))
    assert listed == {"check", "run"}, top
    check_help = subprocess.run([dlkit, "check", "--help"], cwd=out, env=env, capture_output=True, text=True,
                                timeout=120).stdout
    assert "solutions" not in check_help and "--hidden" not in check_help, check_help
    for command in (["build"], ["release", str(tmp_path / "again")]):
        refused = subprocess.run([dlkit, *command], cwd=out, env=env, capture_output=True, text=True, timeout=120)
        assert refused.returncode == 2 and "student release does not include" in refused.stderr, refused.stderr
        assert not (tmp_path / "again").exists()
    for command in (["grade", str(out)], ["gradescope", str(tmp_path / "autograder")]):  # instructors' tools
        refused = subprocess.run([str(venv / "bin" / "dlkit"), *command], cwd=out, env=env,
                                 capture_output=True, text=True, timeout=120)
        assert refused.returncode == 2 and "needs the instructor-only graders" in refused.stderr, refused.stderr
    report = tmp_path / "r.json"
    proc = subprocess.run(
        [str(venv / "bin" / "dlkit"), "check", "--json", str(report)],
        cwd=out, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    data = json.loads(report.read_text())
    assert data["score"] == 0 and data["max_score"] > 0
    odd = [t["message"] for i in data["items"] for t in i["tests"] if "not implemented yet" not in t["message"]]
    assert odd == []
    # Students asking for the reference learn why they cannot have it.
    proc = subprocess.run(
        [str(venv / "bin" / "dlkit"), "check", "--impl", "solutions", "--json", str(report)],
        cwd=out, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 1
    assert "students do not receive the solutions" in json.loads(report.read_text())["items"][0]["tests"][0]["message"]


def test_release_inside_a_copied_folder_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    from dlkit.release import ROOT as REPO

    target = REPO / "graders" / "release-here"
    proc = run_cli("release", str(target), timeout=60)
    assert proc.returncode == 2 and "inside graders/" in proc.stderr and "Traceback" not in proc.stderr
    assert not target.exists()
    assert not [p for p in (REPO / "graders").iterdir() if p.name.startswith(".release-here")]
