"""The ways docs/labs/index.md#write-a-guest gives to make a guest give the bytes the labs run.

Each labs/asm/NAME.asm (NASM) and labs/asm/NAME.s (GNU as) is the GUEST of labs/NAME.py; where
the assembler is installed, its output must be that Listing's bytes. Every `printf '...' > X.bin`
and `... | xxd -r -p > X.bin` line on a lab page runs under `sh` (dash on Debian and Ubuntu),
and the file must hold the bytes of the guest that X.bin stands for.
"""

import re
import shutil
import subprocess
from pathlib import PurePosixPath

import pytest

from labchecks import LAB_PAGES, LABS, ROOT, load_module

ASM = LABS / "asm"
SOURCES = sorted(ASM.glob("*.asm")) + sorted(ASM.glob("*.s"))
# The file names the pages write (in /tmp or wherever: only the name counts), and the lab whose
# guest each one holds.
RECIPE_FILES = {"add.bin": "minimal_vm", "text.bin": "answer_minimal_vm_text"}
RECIPE = re.compile(r"(printf '[^']*' > \S+\.bin|echo '[0-9a-f ]+' \| xxd -r -p > \S+\.bin)")


def expected(stem):
    return load_module(LABS / f"{stem}.py").GUEST.code()


def assemble(source, out):
    if source.suffix == ".asm":
        return [["nasm", "-f", "bin", "-o", str(out), str(source)]]
    obj = out.with_suffix(".o")
    return [["as", "-o", str(obj), str(source)], ["objcopy", "-O", "binary", "-j", ".text", str(obj), str(out)]]


def test_every_asm_file_belongs_to_a_lab_and_is_on_a_page():
    pages = "".join(p.read_text(encoding="utf-8") for p in LAB_PAGES.glob("*.md"))
    assert SOURCES, "labs/asm/ holds no guest sources"
    for source in SOURCES:
        assert (LABS / f"{source.stem}.py").exists(), f"{source.name}: no labs/{source.stem}.py"
        assert f"labs/asm/{source.name}" in pages, f"no page includes or names labs/asm/{source.name}"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_the_assembled_guest_is_the_guest_the_lab_runs(source, tmp_path):
    tools = ["nasm"] if source.suffix == ".asm" else ["as", "objcopy"]
    missing = [tool for tool in tools if not shutil.which(tool)]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (apt install nasm / binutils)")
    out = tmp_path / "guest.bin"
    for command in assemble(source, out):
        subprocess.run(command, check=True, capture_output=True, text=True)
    assert out.read_bytes() == expected(source.stem), (
        f"{source.relative_to(ROOT)} gives {out.read_bytes().hex(' ')}, "
        f"labs/{source.stem}.py runs {expected(source.stem).hex(' ')}")


def recipes():
    found = []
    for page in sorted(LAB_PAGES.glob("*.md")):
        for line in page.read_text(encoding="utf-8").splitlines():
            found += [(page.name, match) for match in RECIPE.findall(line)]
    return found


def test_the_pages_give_byte_recipes_for_both_guests():
    names = {PurePosixPath(recipe.rsplit("> ", 1)[1]).name for _, recipe in recipes()}
    assert set(RECIPE_FILES) <= names, names


@pytest.mark.parametrize("page, recipe", recipes(), ids=lambda value: value[:40])
def test_a_byte_recipe_gives_the_guests_bytes_under_a_posix_sh(page, recipe, tmp_path):
    assert "\\x" not in recipe, f"{page}: `\\x` is not POSIX printf: dash writes it literally: {recipe}"
    if "xxd" in recipe and not shutil.which("xxd"):
        pytest.skip("xxd not installed")
    sh = shutil.which("dash") or shutil.which("sh")
    target = recipe.rsplit("> ", 1)[1]
    name = PurePosixPath(target).name                  # written here, not into the real /tmp
    assert name in RECIPE_FILES, f"{page}: a recipe writes {name}, which no test knows"
    subprocess.run([sh, "-c", recipe[:-len(target)] + name], cwd=tmp_path, check=True, capture_output=True)
    assert (tmp_path / name).read_bytes() == expected(RECIPE_FILES[name]), f"{page}: {recipe}"


def test_a_hex_escape_would_be_caught(tmp_path):
    sh = shutil.which("dash")
    if not sh:
        pytest.skip("no dash here")
    subprocess.run([sh, "-c", "printf '\\xb0\\x02' > x.bin"], cwd=tmp_path, check=True)
    assert (tmp_path / "x.bin").read_bytes() != b"\xb0\x02"    # dash writes the text \xb0\x02
