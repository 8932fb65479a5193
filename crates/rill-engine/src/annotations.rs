//! Warnings and infos attached to a query result ("annotations"), with Prometheus's texts.
//!
//! An annotation remembers the position of the expression it is about; it is rendered as
//! `PromQL warning: <text> (<line>:<col>)`, as Prometheus does, once the query text is known.

use rill_promql::PosRange;

/// Severity of an annotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AnnotationLevel {
    /// Something is probably wrong with the result (`warnings` in the API).
    Warning,
    /// Something the user may want to know (`infos` in the API).
    Info,
}

/// One annotation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Annotation {
    /// Severity.
    pub level: AnnotationLevel,
    /// The text after `PromQL warning: ` / `PromQL info: `.
    pub msg: String,
    /// The expression it is about.
    pub pos: PosRange,
}

impl Annotation {
    /// A warning about the expression at `pos`.
    pub fn warning(msg: impl Into<String>, pos: PosRange) -> Self {
        Annotation {
            level: AnnotationLevel::Warning,
            msg: msg.into(),
            pos,
        }
    }

    /// An info about the expression at `pos`.
    pub fn info(msg: impl Into<String>, pos: PosRange) -> Self {
        Annotation {
            level: AnnotationLevel::Info,
            msg: msg.into(),
            pos,
        }
    }

    /// The full text as Prometheus reports it, e.g.
    /// `PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "x" (1:6)`.
    pub fn render(&self, query: &str) -> String {
        let prefix = match self.level {
            AnnotationLevel::Warning => "PromQL warning",
            AnnotationLevel::Info => "PromQL info",
        };
        let (line, col) = line_col(query, self.pos.start);
        format!("{prefix}: {} ({line}:{col})", self.msg)
    }
}

/// 1-based line and column of byte offset `pos` in `text`, counted as Prometheus does.
pub fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(text.len());
    let before = &text.as_bytes()[..pos];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let col = pos - before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

/// The set of annotations of one query, without duplicates, in first-seen order.
#[derive(Clone, Debug, Default)]
pub struct Annotations {
    list: Vec<Annotation>,
}

impl Annotations {
    /// Adds an annotation unless an identical one is already present.
    pub fn add(&mut self, a: Annotation) {
        if !self.list.contains(&a) {
            self.list.push(a);
        }
    }

    /// All annotations.
    pub fn iter(&self) -> impl Iterator<Item = &Annotation> {
        self.list.iter()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Rendered texts of the annotations of `level`, sorted and deduplicated as Prometheus returns them.
    pub fn rendered(&self, level: AnnotationLevel, query: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .list
            .iter()
            .filter(|a| a.level == level)
            .map(|a| a.render(query))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_with_line_and_column() {
        let a = Annotation::info("metric might not be a counter", PosRange::new(5, 9));
        assert_eq!(
            a.render("rate(foo[5m])"),
            "PromQL info: metric might not be a counter (1:6)"
        );
        assert_eq!(line_col("a\nbc", 3), (2, 2));
    }
}
