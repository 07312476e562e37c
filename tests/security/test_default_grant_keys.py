"""Each default grant key (role, object type, constraint) is registered once: the installer keeps
the first row of a key, so a second spec with other actions would silently lose them
(docs/adr/0012-new-actions-on-default-grant-rows.md)."""

from collections import defaultdict

from opentto.core.permissions import DEFAULT_GRANTS


def test_every_default_grant_key_has_one_set_of_actions():
    actions: dict[tuple[str, str, str], set[tuple[str, ...]]] = defaultdict(set)
    for role, object_type, constraint, granted in DEFAULT_GRANTS:
        actions[(role, object_type, constraint)].add(tuple(sorted(granted)))
    assert {key: specs for key, specs in actions.items() if len(specs) > 1} == {}
    assert (
        "manager",
        "landing.deal",
        "all",
    ) in actions  # the registry is loaded: the test is not vacuous
