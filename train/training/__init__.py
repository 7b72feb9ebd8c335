"""From a YAML config to a finished run folder: config, base model, Trainer runners, folds, run folders."""
