//! Dropping the metric name, as operations that change what a series measures do.
//!
//! Prometheus drops the name together with the other metadata labels (`__type__` and
//! `__unit__`, its `schema.IsMetadataLabel`): a rate of a counter is neither that metric
//! nor a counter. With delayed name removal the labels stay until the end of the query
//! and the series is only marked.

use rill_model::{Labels, METRIC_NAME};

use crate::types::SeriesMetadata;

/// The metadata labels removed with the name.
pub const METADATA_LABELS: [&str; 3] = [METRIC_NAME, "__type__", "__unit__"];

/// `labels` without the metric name and the other metadata labels.
pub fn without_metadata_labels(labels: &Labels) -> Labels {
    if !METADATA_LABELS.iter().any(|n| labels.has(n)) {
        return labels.clone();
    }
    labels.drop_names(&METADATA_LABELS)
}

/// Marks (delayed name removal) or removes the metric name of `meta`.
pub fn drop_metric_name(meta: &mut SeriesMetadata, delayed: bool) {
    if delayed {
        meta.drop_name = true;
    } else {
        meta.labels = without_metadata_labels(&meta.labels);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_name_type_and_unit() {
        let l = Labels::from_pairs([
            ("__name__", "a"),
            ("__type__", "counter"),
            ("__unit__", "s"),
            ("job", "x"),
        ]);
        assert_eq!(without_metadata_labels(&l), Labels::from_pairs([("job", "x")]));
        let mut m = SeriesMetadata::new(l.clone());
        drop_metric_name(&mut m, true);
        assert!(m.drop_name && m.labels == l);
    }
}
