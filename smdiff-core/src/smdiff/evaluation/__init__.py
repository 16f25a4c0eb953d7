"""Scoring samples: what metrics read and return (:mod:`.core`), running them and the report (:mod:`.report`),
the samples and reference pieces read from disk (:mod:`.inputs`), and the probe of a run's model (:mod:`.probing`)."""
