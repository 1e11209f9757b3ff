"""`pip install .` ships the default theme inside the package, so any site folder builds."""

from __future__ import annotations

import os
import subprocess
import sys
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
    assert "ssg/stages/builtin/atom.xml" in names
    assert "ssg/stages/client/search.js" in names, "the search client"
    assert any(n.startswith("ssg/themes/default/static/") for n in names)
    # The dev server's client and the library it morphs pages with, with its licence.
    for name in ("reload.js", "idiomorph.min.js", "idiomorph.LICENSE"):
        assert f"ssg/serve/client/{name}" in names, name

    # Install the wheel into a folder of its own and put it first on the path: the test then
    # runs the same way on the system Python (CI, as root) and inside a user's virtual
    # environment, where a nested venv would see the base interpreter instead of this one.
    target = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    site = tmp_path / "elsewhere"
    (site / "content").mkdir(parents=True)
    (site / "content" / "hello.md").write_text("# Hello from outside\n")
    env = {**os.environ, "PYTHONPATH": str(target)}
    proc = subprocess.run([target / "bin" / "ssg", "build", str(site)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Hello from outside" in (site / "output/hello/index.html").read_text()
    assert (site / "output/search/search.js").is_file()
    location = subprocess.run([sys.executable, "-c", "import ssg; print(ssg.__file__)"],
                              cwd=tmp_path, capture_output=True, text=True, env=env,
                              check=True).stdout
    assert location.startswith(str(target))  # the installed copy, not the checkout, was used
