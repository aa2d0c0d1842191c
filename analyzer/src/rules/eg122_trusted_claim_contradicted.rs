//! EG122: a control file's `trusted = true` that the scripts contradict.

use crate::finding::Finding;
use crate::span::Span;
use crate::verdict::{Assessment, Verdict};

declare_rule! {
    /// ## What it flags
    /// A control file that says `trusted = true` while the extension's
    /// verdict (see `extguard scan`'s verdicts and docs/policy.md) is not
    /// `trusted-safe`: its scripts create base types, C or internal
    /// functions outside its own module, event triggers, SECURITY DEFINER
    /// functions anyone can call, escape primitives, or an install path a
    /// hostile search_path can hijack. Reported once, on the `trusted` line,
    /// with the verdict and its first reasons.
    ///
    /// ## Why it is dangerous
    /// `trusted = true` lets any user with CREATE on the database install
    /// the extension, and its scripts then run as the bootstrap superuser.
    /// The claim is what a platform's allow-list trusts; when the scripts
    /// need more than a tenant may do, the claim hands that to the tenant.
    ///
    /// ## Example
    /// ```text
    /// # ext.control
    /// trusted = true
    /// ```
    /// ```sql
    /// CREATE TYPE @extschema@.t (INPUT = @extschema@.t_in, OUTPUT = @extschema@.t_out);
    /// ```
    ///
    /// ## Fix
    /// Drop `trusted = true` (a platform may still delegate the extension:
    /// verdict `delegable`), or remove from the scripts what the reasons list.
    pub static RULE = { code: "EG122", name: "trusted-claim-contradicted", title: "trusted = true contradicted by the scripts", severity: Warning };
}

/// The EG122 finding of an extension whose control file (`path`, `text`)
/// claims `trusted = true`, if its assessment contradicts the claim.
pub fn check(path: &str, text: &str, a: &Assessment) -> Option<Finding> {
    if !a.trusted_claim || a.verdict == Verdict::TrustedSafe {
        return None;
    }
    let (line, start) = text
        .split_inclusive('\n')
        .scan(0usize, |off, l| {
            let here = *off;
            *off += l.len();
            Some((l, here))
        })
        .enumerate()
        .find(|(_, (l, _))| l.trim_start().starts_with("trusted"))
        .map_or((1, 0), |(i, (_, off))| (i + 1, off));
    let shown: Vec<String> = a
        .reasons
        .iter()
        .take(3)
        .map(|r| format!("{} at {}:{}", r.code, file_name(&r.path), r.line))
        .collect();
    let more = a.reasons.len().saturating_sub(3);
    Some(Finding {
        code: RULE.code,
        severity: RULE.severity,
        title: RULE.title,
        message: format!(
            "the control file claims trusted = true but the verdict is {}: {}{}",
            a.verdict,
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ),
        path: path.to_string(),
        line,
        column: 1,
        end_line: line,
        end_column: 1 + text[start..].lines().next().unwrap_or("").chars().count(),
        object: Some("trusted".into()),
        span: Span::new(start, start),
        pgspot_context: None,
    })
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}
