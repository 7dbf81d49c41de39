"""Figures of a run or a sweep: pure functions from data frames to matplotlib Figures, styled with
seaborn, one module per kind of input:

- :mod:`benchmarks.figures.single`: a results table with one row per strategy (a single run);
- :mod:`benchmarks.figures.sweep`: a sweep's results, along one axis with the others as facets;
- :mod:`benchmarks.figures.frontier`: net value against spend with the budget's shadow price as the
  slope (a run or a sweep), and the shadow prices of every row along a swept axis;
- :mod:`benchmarks.figures.plans`: per-customer treatments of one plan set;
- :mod:`benchmarks.figures.style`: the canvas, theme, palettes, grids, footnotes and ``save``.

The frames they draw are built in :mod:`benchmarks.frames`, shared with the report's tables.
"""
