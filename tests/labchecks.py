"""Checks of the labs (labs/, docs/labs/), as functions that return problems.

Each problem is a line that starts with the file it is about, like tests/checks.py. Running a
lab is left to the tests; these functions only compare.
"""

from __future__ import annotations

import importlib.util
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from checks import ROOT, md_blocks

LABS = ROOT / "labs"
LAB_PAGES = ROOT / "docs" / "labs"
OUTPUTS = LABS / "output"
KVM_HEADER = Path("/usr/include/linux/kvm.h")

# The mark of every lab test that runs a guest: the `kvm` fixture (conftest.py) skips it
# without KVM, and fails it with LABS_REQUIRE_KVM=1.
needs_kvm = pytest.mark.usefixtures("kvm")

# The programs a reader runs, and the output file each one's page shows.
PROGRAMS = sorted(p for p in LABS.glob("*.py") if p.name not in ("__init__.py", "vmm.py"))


def load_module(path: Path):
    """Import a lab file by path, as part of the labs package when it lives there."""
    name = f"labs.{path.stem}" if path.parent == LABS else f"labfixture_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    if path.parent == LABS:
        import labs
        module.__package__ = "labs"
        sys.modules.setdefault("labs", labs)
    spec.loader.exec_module(module)
    return module


def listings(module) -> list[tuple[str, object]]:
    """Every vmm.Listing a module holds, and every one its functions build with default sizes."""
    from labs import vmm
    found = [(name, value) for name, value in vars(module).items() if isinstance(value, vmm.Listing)]
    for name in ("guest", "loop_guest"):
        builder = getattr(module, name, None)
        if callable(builder):
            bodies = getattr(module, "BODIES", {"": None})
            for key, body in bodies.items():
                args = (body, 10000) if body is not None else (50000,)
                found.append((f"{name}({key or 50000})", builder(*args)))
    return found


# ---------------------------------------------------------------- listings

DATA = {"db": "<B", "dw": "<H", "dd": "<I", "dq": "<Q"}


def listing_problems(path: Path) -> list[str]:
    """The assembly shown beside each row of bytes is what Capstone reads in those bytes."""
    import capstone

    modes = {16: capstone.CS_MODE_16, 32: capstone.CS_MODE_32, 64: capstone.CS_MODE_64}
    problems = []
    rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    for name, listing in listings(load_module(path)):
        disassembler = capstone.Cs(capstone.CS_ARCH_X86, modes[listing.bits])
        address = listing.origin
        for hexbytes, shown in listing.rows:
            code = bytes.fromhex(hexbytes)
            text = " ".join(shown.split(";")[0].split())
            word = text.split(" ", 1)[0]
            if word in DATA:
                values = [int(v, 0) for v in text.split(" ", 1)[1].split(",")]
                actual = b"".join(struct.pack(DATA[word], v) for v in values)
                if actual != code:
                    problems.append(f"{rel}: {name}: bytes {hexbytes} are not `{text}`")
            else:
                decoded = list(disassembler.disasm(code, address))
                read = "; ".join(" ".join(f"{i.mnemonic} {i.op_str}".split()) for i in decoded)
                if len(decoded) != 1 or decoded[0].size != len(code) or read != text:
                    problems.append(f"{rel}: {name}: bytes {hexbytes} at {address:#x} are "
                                    f"`{read or 'not an instruction'}`, the listing shows `{text}`")
            address += len(code)
    return problems


# ---------------------------------------------------------------- outputs

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def output_problems(expected_file: Path, actual: str) -> list[str]:
    """A program printed what its output file says. In a *.sample.txt file, numbers are samples
    of one machine: each line must match with every number allowed to differ, and the host line
    (which names one machine's KVM) only has to be there."""
    rel = expected_file.relative_to(ROOT) if expected_file.is_relative_to(ROOT) else expected_file
    expected = expected_file.read_text(encoding="utf-8").rstrip("\n").splitlines()
    lines = actual.rstrip("\n").splitlines()
    sample = expected_file.name.endswith(".sample.txt")
    if sample:                                 # a sample file starts with its provenance line
        expected = [line for line in expected if not line.startswith("#")]
    if len(expected) != len(lines):
        return [f"{rel}: shows {len(expected)} lines, the program printed {len(lines)}:\n"
                + "\n".join(lines)]
    problems = []
    for number, (want, got) in enumerate(zip(expected, lines), 1):
        if sample:
            if want.startswith("host") and got.startswith("host"):
                continue                       # names this machine's KVM: differs elsewhere
            pattern = re.escape(NUMBER.sub("\0", want)).replace("\0", r"-?\d+(?:\.\d+)?")
            pattern = re.sub(r"(\\ )+", r"\\s+", pattern)
            if not re.fullmatch(pattern, got):
                problems.append(f"{rel}:{number}: shows `{want}`, the program printed `{got}`")
        elif want.rstrip() != got.rstrip():
            problems.append(f"{rel}:{number}: shows `{want}`, the program printed `{got}`")
    return problems


SNIPPET = re.compile(r'^\s*-{1,3}8<-{1,3}\s+"([^"]+)"\s*$')
SAMPLE_MARK = re.compile(r"样例.*(CPU|处理器).*(内核|kernel).*\d{4}")


def page_output_problems(page: Path) -> list[str]:
    """Every ```text block on a lab page is an included output file: an exact one, checked
    against a run by the tests, or a *.sample.txt marked as a sample (which CPU, which kernel,
    when) in the lines just before it."""
    rel = page.relative_to(ROOT) if page.is_relative_to(ROOT) else page
    lines = list(md_blocks(page))
    problems = []
    index = 0
    while index < len(lines):
        number, line, lang = lines[index]
        if lang == "text" and line.strip().startswith("```"):
            body = []
            index += 1
            while index < len(lines) and not lines[index][1].strip().startswith("```"):
                body.append(lines[index][1])
                index += 1
            includes = [SNIPPET.match(b) for b in body if b.strip()]
            if len(includes) != 1 or not includes[0] or not includes[0].group(1).startswith("labs/output/"):
                problems.append(f"{rel}:{number}: an output block must include one file of "
                                "labs/output/ (--8<-- \"labs/output/NAME.txt\"), not pasted text")
            elif includes[0].group(1).endswith(".sample.txt"):
                before = " ".join(text for _, text, _ in lines[max(0, index - len(body) - 6):index - len(body)])
                if not SAMPLE_MARK.search(before):
                    problems.append(f"{rel}:{number}: sample output {includes[0].group(1)} needs a "
                                    "line just before it saying 样例, which CPU, which kernel and when")
        index += 1
    return problems


# ---------------------------------------------------------------- no KVM

# What every program says when /dev/kvm cannot be opened (labs/vmm.py, NO_KVM_HELP).
NO_KVM_SAYS = ("错误：无法打开", "Error: cannot open", "kvm 组", "kvm group", "嵌套虚拟化",
               "nested virtualization", "WSL2")


def no_kvm_problems(program: Path, returncode: int, stderr: str) -> list[str]:
    """A program run without /dev/kvm gave the explanation of labs/vmm.py, in Chinese and English,
    and exit status 2, like every other lab: never a traceback, a one-line reason or status 0."""
    rel = program.relative_to(ROOT) if program.is_relative_to(ROOT) else program
    problems = []
    if returncode != 2:
        problems.append(f"{rel}: without /dev/kvm it exits with status {returncode}, not 2")
    if "Traceback" in stderr:
        problems.append(f"{rel}: without /dev/kvm it prints a traceback")
    missing = [text for text in NO_KVM_SAYS if text not in stderr]
    if missing:
        problems.append(f"{rel}: without /dev/kvm its message lacks {missing}")
    return problems


# ---------------------------------------------------------------- headers

def header_problems(probe_dir: Path, vmm=None, label: str = "labs/vmm.py") -> list[str]:
    """Every ioctl number, struct size and field offset of labs/vmm.py (or of `vmm`, a module
    like it), and every exit reason, against the installed kernel headers, through a C program
    compiled by gcc."""
    import ctypes

    if vmm is None:
        from labs import vmm

    structs = [vmm.kvm_userspace_memory_region, vmm.kvm_regs, vmm.kvm_segment, vmm.kvm_dtable,
               vmm.kvm_sregs, vmm.kvm_translation, vmm.kvm_run,
               # lab 5, interrupts
               vmm.kvm_interrupt, vmm.kvm_irq_level, vmm.kvm_pit_config, vmm.kvm_irqfd, vmm.kvm_ioeventfd]
    expected: dict[str, int] = {}

    def fields(cls, prefix=""):
        for field in cls._fields_:
            name, kind = field[0], field[1]
            if getattr(cls, "_anonymous_", ()) and name in cls._anonymous_:
                inner_offset = getattr(cls, name).offset
                for inner_name, inner_kind in kind._fields_:
                    if inner_name == "padding":
                        continue
                    yield from nested(inner_kind, prefix + inner_name, inner_offset)
                continue
            yield prefix + name, getattr(cls, name).offset

    def nested(kind, path, base):
        yield path, base
        if isinstance(kind, type) and issubclass(kind, ctypes.Structure):
            for inner_name, _ in kind._fields_:
                yield f"{path}.{inner_name}", base + getattr(kind, inner_name).offset

    lines = []
    for cls in structs:
        if cls is vmm.kvm_run:
            # The monitor describes kvm_run up to the end of the exit union; what follows
            # (kvm_valid_regs, the sync regs) must start right where its description ends.
            expected["kvm_run.kvm_valid_regs"] = ctypes.sizeof(cls)
            lines.append('P("kvm_run.kvm_valid_regs", offsetof(struct kvm_run, kvm_valid_regs));')
        else:
            expected[f"sizeof {cls.__name__}"] = ctypes.sizeof(cls)
            lines.append(f'P("sizeof {cls.__name__}", sizeof(struct {cls.__name__}));')
        for name, offset in fields(cls):
            if name.startswith("padding"):
                continue
            expected[f"{cls.__name__}.{name}"] = offset
            lines.append(f'P("{cls.__name__}.{name}", offsetof(struct {cls.__name__}, {name}));')
    for name in ("KVM_GET_API_VERSION", "KVM_CREATE_VM", "KVM_CHECK_EXTENSION",
                 "KVM_GET_VCPU_MMAP_SIZE", "KVM_CREATE_VCPU", "KVM_SET_USER_MEMORY_REGION",
                 "KVM_SET_TSS_ADDR", "KVM_RUN", "KVM_GET_REGS", "KVM_SET_REGS", "KVM_GET_SREGS",
                 "KVM_SET_SREGS", "KVM_TRANSLATE", "KVM_API_VERSION", "KVM_CAP_SET_TSS_ADDR",
                 "KVM_EXIT_IO_IN", "KVM_EXIT_IO_OUT",
                 # lab 5, interrupts
                 "KVM_CREATE_IRQCHIP", "KVM_IRQ_LINE", "KVM_IRQFD", "KVM_CREATE_PIT2", "KVM_IOEVENTFD",
                 "KVM_INTERRUPT", "KVM_CAP_IRQCHIP", "KVM_CAP_IRQFD", "KVM_CAP_PIT2", "KVM_CAP_IOEVENTFD",
                 "KVM_IOEVENTFD_FLAG_PIO"):
        expected[name] = getattr(vmm, name)
        lines.append(f'P("{name}", (unsigned long)({name}));')
    problems = []
    header = KVM_HEADER.read_text()
    in_header = {name: int(value) for name, value in
                 re.findall(r"#define\s+(KVM_EXIT_\w+)\s+(\d+)\b", header)
                 if name not in ("KVM_EXIT_IO_IN", "KVM_EXIT_IO_OUT")
                 and not name.startswith(("KVM_EXIT_HYPERV_", "KVM_EXIT_XEN_"))}
    for name, number in in_header.items():
        if vmm.EXIT_REASONS.get(number) != name:
            problems.append(f"{label}: EXIT_REASONS[{number}] is {vmm.EXIT_REASONS.get(number)!r}, "
                            f"{KVM_HEADER} says {name}")
    for name, number in in_header.items():
        lines.append(f'P("{name}", (unsigned long)({name}));')
        expected[name] = number
    source = probe_dir / "probe.c"
    source.write_text(
        "#include <stddef.h>\n#include <stdio.h>\n#include <linux/kvm.h>\n"
        '#define P(name, value) printf("%s %lu\\n", name, (unsigned long)(value))\n'
        "int main(void) {\n" + "\n".join(lines) + "\nreturn 0;\n}\n")
    binary = probe_dir / "probe"
    subprocess.run(["gcc", "-o", str(binary), str(source)], check=True, capture_output=True, text=True)
    printed = subprocess.run([str(binary)], check=True, capture_output=True, text=True).stdout
    for line in printed.splitlines():
        name, value = line.rsplit(" ", 1)
        if expected.get(name) != int(value):
            problems.append(f"{label}: {name} is {expected.get(name)}, the kernel headers say {value}")
    return problems


# ---------------------------------------------------------------- exercises

EXERCISES = "## 习题 {#exercises}"


def exercise_problems(page: Path) -> list[str]:
    """A lab page ends with 习题: 3-5 numbered exercises, each with a collapsed ??? note "答案"
    that says where the reader can check it (检查方法)."""
    rel = page.relative_to(ROOT) if page.is_relative_to(ROOT) else page
    text = page.read_text(encoding="utf-8")
    if EXERCISES not in text:
        return [f"{rel}: no `{EXERCISES}` section"]
    tail = text.split(EXERCISES, 1)[1]
    if re.search(r"^## ", tail, re.M):
        return [f"{rel}: `{EXERCISES}` must be the last section"]
    items = re.split(r"^\d+\. ", tail, flags=re.M)[1:]
    problems = [] if 3 <= len(items) <= 5 else [f"{rel}: {len(items)} exercises, 3 to 5 expected"]
    for number, item in enumerate(items, 1):
        if '??? note "答案"' not in item:
            problems.append(f"{rel}: exercise {number} has no collapsed ??? note \"答案\"")
        elif "检查方法" not in item.split('??? note "答案"', 1)[1]:
            problems.append(f"{rel}: the answer to exercise {number} does not say where to check it (检查方法)")
    return problems


# ---------------------------------------------------------------- the Python the setup names

SETUP_PAGE = LAB_PAGES / "index.md"

# Annotations that Python evaluates when the `def` runs, unless the file has
# `from __future__ import annotations`: built-in generics need 3.9 (PEP 585), `X | Y` 3.10 (PEP 604).
GENERIC_BUILTINS = {"tuple", "list", "dict", "set", "frozenset", "type"}
# Library calls the labs have used that are newer than 3.7; not every API, only these.
NEWER_CALLS = {"removeprefix": (3, 9), "removesuffix": (3, 9), "bit_count": (3, 10)}


def setup_minimum(page: Path = SETUP_PAGE) -> tuple[int, int]:
    """The oldest Python the labs' setup section promises: `Python 3.N 或更新`."""
    found = re.search(r"Python (3)\.(\d+) 或更新", page.read_text(encoding="utf-8"))
    assert found, f"{page.relative_to(ROOT)}: the setup section names no `Python 3.N 或更新`"
    return int(found[1]), int(found[2])


def python_version_problems(path: Path, minimum: tuple[int, int]) -> list[str]:
    """Syntax, evaluated annotations and a few library calls that the oldest Python the setup
    page names could not run. Each problem names the file and line."""
    import ast
    rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    source = path.read_text(encoding="utf-8")
    need = f"Python {minimum[0]}.{minimum[1]}"
    try:
        tree = ast.parse(source, feature_version=minimum)
    except SyntaxError as error:
        return [f"{rel}:{error.lineno}: syntax that {need} cannot parse ({error.msg})"]
    postponed = any(isinstance(node, ast.ImportFrom) and node.module == "__future__"
                    and any(alias.name == "annotations" for alias in node.names)
                    for node in tree.body)
    problems = []

    def too_new(node, version, what):
        if minimum < version:
            problems.append(f"{rel}:{node.lineno}: {what} needs Python {version[0]}.{version[1]}, "
                            f"the setup page promises {need}")

    annotations = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            every = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
            every += [a for a in (node.args.vararg, node.args.kwarg) if a]
            annotations += [a.annotation for a in every if a.annotation] + [node.returns]
        elif isinstance(node, ast.AnnAssign):
            annotations.append(node.annotation)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in NEWER_CALLS):
            too_new(node, NEWER_CALLS[node.func.attr], f"`.{node.func.attr}()`")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "hex" and (node.args or node.keywords)):
            too_new(node, (3, 8), "`bytes.hex()` with a separator")
    if not postponed:
        for annotation in filter(None, annotations):
            for part in ast.walk(annotation):
                if (isinstance(part, ast.Subscript) and isinstance(part.value, ast.Name)
                        and part.value.id in GENERIC_BUILTINS):
                    too_new(part, (3, 9), f"the annotation `{ast.unparse(part)}`, evaluated at import "
                            "(add `from __future__ import annotations`),")
                elif isinstance(part, ast.BinOp) and isinstance(part.op, ast.BitOr):
                    too_new(part, (3, 10), f"the annotation `{ast.unparse(part)}`, evaluated at import "
                            "(add `from __future__ import annotations`),")
    return problems
