"""smdiff-octuple is found through its entry point and registers what it provides."""

from __future__ import annotations

from smdiff.plugins import build_plugin_host


def test_plugin_is_installed():
    host = build_plugin_host()
    info = {plugin.name: plugin for plugin in host.plugins()}["octuple"]
    assert info.distribution == "smdiff-octuple"
    assert not [failure for failure in host.failures if failure.name == "octuple"]
