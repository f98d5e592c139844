"""asynclint's version: the one place it is written (hatch reads it from here for the package
metadata). A module of its own, so the modules that need it do not import the package."""

__version__ = "0.1.0"
