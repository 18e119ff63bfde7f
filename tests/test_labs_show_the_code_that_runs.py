"""The assembly a lab page shows beside the guest's bytes is what those bytes are.

Guest code lives in vmm.Listing rows of (bytes, assembly); the pages include those rows. Capstone
disassembles each row's bytes, and the check fails when the text differs.
"""

import pytest

from labchecks import PROGRAMS, ROOT, listing_problems

FIXTURES = ROOT / "tests" / "fixtures" / "labs"


@pytest.mark.parametrize("program", PROGRAMS + [FIXTURES / "guests.py"], ids=lambda p: p.name)
def test_shown_assembly_is_what_the_bytes_hold(program):
    problems = listing_problems(program)
    assert not problems, "\n".join(problems)


def test_every_lab_shows_guest_code():
    from labchecks import listings, load_module
    missing = [p.name for p in PROGRAMS if not listings(load_module(p))]
    assert not missing, f"labs without a vmm.Listing: {missing}"


def test_a_wrong_listing_is_caught_and_named():
    problems = listing_problems(FIXTURES / "wrong_listing.py")
    assert problems == ["tests/fixtures/labs/wrong_listing.py: GUEST: bytes b0 02 at 0x0 are "
                        "`mov al, 2`, the listing shows `mov al, 3`"], problems
