"""smdiff-onehot is found through its entry point and registers what it provides."""

from __future__ import annotations

from smdiff.plugins import build_plugin_host


def test_plugin_is_installed():
    host = build_plugin_host()
    info = {plugin.name: plugin for plugin in host.plugins()}["onehot"]
    assert info.distribution == "smdiff-onehot"
    assert not [failure for failure in host.failures if failure.name == "onehot"]
