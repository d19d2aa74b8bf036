//! The values behind the controller's metrics: counters, gauges and histograms, alone or by
//! label values. They only count; `metrics` names them and writes them at scrape time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Label values, in the order of the family's label names.
pub type LabelValues = Vec<String>;

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere leaves the numbers valid: keep counting.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Counters by label values; a label set appears once counted.
#[derive(Debug, Default)]
pub struct CounterVec(Mutex<HashMap<LabelValues, u64>>);

impl CounterVec {
    pub fn inc(&self, labels: LabelValues) {
        *locked(&self.0).entry(labels).or_default() += 1;
    }

    pub fn values(&self) -> Vec<(LabelValues, u64)> {
        locked(&self.0)
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }
}

/// Gauges by label values; a label set appears once set and goes when removed.
#[derive(Debug, Default)]
pub struct GaugeVec(Mutex<HashMap<LabelValues, i64>>);

impl GaugeVec {
    pub fn set(&self, labels: LabelValues, value: i64) {
        locked(&self.0).insert(labels, value);
    }

    pub fn remove(&self, labels: &LabelValues) {
        locked(&self.0).remove(labels);
    }

    pub fn values(&self) -> Vec<(LabelValues, i64)> {
        locked(&self.0)
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    /// `f` of each label set and value, without copying the label sets.
    pub fn map<T>(&self, f: impl Fn(&LabelValues, i64) -> T) -> Vec<T> {
        locked(&self.0).iter().map(|(k, v)| f(k, *v)).collect()
    }
}

/// One histogram's state.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    pub sum: f64,
    pub count: u64,
    /// Observations per bucket (not cumulative), in the order of the upper bounds.
    pub buckets: Vec<u64>,
}

/// Histograms by label values over fixed upper bounds; the last bound, `f64::MAX`, stands for
/// `+Inf`.
#[derive(Debug)]
pub struct HistogramVec {
    bounds: Vec<f64>,
    by_labels: Mutex<HashMap<LabelValues, Histogram>>,
}

impl HistogramVec {
    pub fn new(bounds: &[f64]) -> Self {
        let mut bounds = bounds.to_vec();
        bounds.push(f64::MAX);
        Self {
            bounds,
            by_labels: Mutex::default(),
        }
    }

    pub fn bounds(&self) -> &[f64] {
        &self.bounds
    }

    /// Counts `v` in the first bucket that holds it; a value no bucket holds (NaN, +Inf) is
    /// still in the sum and count.
    pub fn observe(&self, labels: LabelValues, v: f64) {
        let mut all = locked(&self.by_labels);
        let h = all.entry(labels).or_insert_with(|| Histogram {
            sum: 0.0,
            count: 0,
            buckets: vec![0; self.bounds.len()],
        });
        h.sum += v;
        h.count += 1;
        if let Some(i) = self.bounds.iter().position(|upper| *upper >= v) {
            h.buckets[i] += 1;
        }
    }

    pub fn values(&self) -> Vec<(LabelValues, Histogram)> {
        locked(&self.by_labels)
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_by_first_bound() {
        let h = HistogramVec::new(&[0.5, 1.0]);
        for v in [0.5, 0.7, 3.0, f64::INFINITY] {
            h.observe(vec![], v);
        }
        let (_, got) = h.values().remove(0);
        assert_eq!((got.count, got.buckets), (4, vec![1, 1, 1]));
    }

    #[test]
    fn gauges_go_when_removed() {
        let g = GaugeVec::default();
        g.set(vec!["a".into()], 1);
        g.set(vec!["b".into()], -1);
        g.remove(&vec!["a".into()]);
        assert_eq!(g.values(), vec![(vec!["b".to_string()], -1)]);
    }
}
