"""Shared fixtures: presets are built once per test session (calibration solves a rest)."""

import pytest

import nakpump as nk


@pytest.fixture(scope="session")
def hh():
    return nk.preset("hh-1952")


@pytest.fixture(scope="session")
def squid():
    return nk.preset("hh-squid")


@pytest.fixture(scope="session")
def cortical():
    return nk.preset("cortical")


@pytest.fixture(scope="session")
def hd():
    return nk.preset("huebel-dahlem-2014-closed")
