"""The parts of ``arabic-ie-bench`` (:mod:`train.commands.bench`), one job each.

* :mod:`~train.benchmark.paths`: the repository's data and the shared inputs;
* :mod:`~train.benchmark.data`: the bench documents and their sentences;
* :mod:`~train.benchmark.models`: the random-weight bench model and a trained tiny model;
* :mod:`~train.benchmark.measure`: wall time and peak memory of one call;
* :mod:`~train.benchmark.limits`: the FLOP limit and the forward limit;
* :mod:`~train.benchmark.rows`: the pipeline and predictor rows;
* :mod:`~train.benchmark.agreement`: span and label agreement between paths;
* :mod:`~train.benchmark.training_speed`: ``Trainer`` throughput, dynamic vs fixed padding;
* :mod:`~train.benchmark.machine`: the machine and library versions;
* :mod:`~train.benchmark.report`: the markdown table and the JSON file.
"""
