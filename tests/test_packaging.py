"""`pip install .` ships the default theme inside the package, so any site folder builds."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_wheel_ships_theme_and_builds_a_site_outside_the_repo(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(dist), str(REPO)],
        check=True, capture_output=True, timeout=300,
    )
    wheel = next(dist.glob("ssg-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "ssg/themes/default/templates/base.html" in names
    assert "ssg/builtin/atom.xml" in names
    assert any(n.startswith("ssg/themes/default/static/") for n in names)

    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    site = tmp_path / "elsewhere"
    (site / "content").mkdir(parents=True)
    (site / "content" / "hello.md").write_text("# Hello from outside\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([env_dir / "bin" / "ssg", "build", str(site)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Hello from outside" in (site / "output/hello/index.html").read_text()
    location = subprocess.run([python, "-c", "import ssg; print(ssg.__file__)"], cwd=tmp_path,
                              capture_output=True, text=True, env=env, check=True).stdout
    assert str(REPO) not in location  # the installed copy, not the checkout, was used
