//! The HTML report: one self-contained page (inline CSS, SVG and a little
//! JavaScript; nothing is fetched). It has a bar chart of findings per rule,
//! a table of extensions that sorts when a column header is clicked (the
//! sort is kept in the URL fragment, `#sort=errors:desc`, so a sorted view
//! can be linked to), each finding with its source snippet, and the input
//! errors.

use std::fmt::Write;

use crate::outcome::{top_codes, totals_per_rule, Outcome, UnitKind};
use crate::rules;

/// Escape text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:80em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.5em}h3{font-size:1.05em;margin-bottom:.3em}
table{border-collapse:collapse;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left}
th[data-key]{cursor:pointer;background:#f3f3f3;user-select:none}
th[aria-sort=ascending]::after{content:" \25B2"}th[aria-sort=descending]::after{content:" \25BC"}
td.n{text-align:right}
.finding{border-left:4px solid #999;margin:.6em 0;padding:.2em .6em;background:#fafafa}
.finding.error{border-color:#c62828}.finding.warning{border-color:#ef6c00}.finding.info{border-color:#1565c0}
.finding .loc{color:#555;font-size:.85em}
pre.snippet{margin:.3em 0;font-size:.85em;overflow-x:auto;background:#fff;border:1px solid #eee}
pre.snippet span.hl{background:#fff3c4;display:inline-block;min-width:100%}
pre.snippet span.ln{color:#999;display:inline-block;width:5em;text-align:right;padding-right:1em}
.errors li{color:#b71c1c}
svg text{font-size:12px;font-family:system-ui,sans-serif}
"#;

const SCRIPT: &str = r#"
(function () {
  var table = document.getElementById('extensions');
  var tbody = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  function sortBy(key, dir) {
    var idx = -1, type = 'text';
    for (var i = 0; i < heads.length; i++) {
      if (heads[i].getAttribute('data-key') === key) {
        idx = i;
        type = heads[i].getAttribute('data-type') || 'text';
        heads[i].setAttribute('aria-sort', dir === 'asc' ? 'ascending' : 'descending');
      } else {
        heads[i].removeAttribute('aria-sort');
      }
    }
    if (idx < 0) return;
    var rows = Array.prototype.slice.call(tbody.rows);
    rows.sort(function (a, b) {
      var x = a.cells[idx].getAttribute('data-v'), y = b.cells[idx].getAttribute('data-v');
      var c = type === 'num' ? Number(x) - Number(y) : x.localeCompare(y);
      if (dir === 'desc') c = -c;
      return c !== 0 ? c : Number(a.getAttribute('data-i')) - Number(b.getAttribute('data-i'));
    });
    rows.forEach(function (r) { tbody.appendChild(r); });
    table.setAttribute('data-sorted', key + ':' + dir);
  }
  function fromHash() {
    var m = /sort=([a-z]+):(asc|desc)/.exec(location.hash);
    if (m) sortBy(m[1], m[2]);
  }
  for (var i = 0; i < heads.length; i++) {
    if (!heads[i].getAttribute('data-key')) continue;
    heads[i].addEventListener('click', function (ev) {
      var key = ev.currentTarget.getAttribute('data-key');
      var cur = table.getAttribute('data-sorted') || '';
      var dir = cur === key + ':asc' ? 'desc' : 'asc';
      if (location.hash === '#sort=' + key + ':' + dir) sortBy(key, dir);
      else location.hash = 'sort=' + key + ':' + dir;
    });
  }
  window.addEventListener('hashchange', fromHash);
  fromHash();
  document.body.setAttribute('data-ready', '1');
})();
"#;

/// The bar chart of findings per rule, as inline SVG.
fn chart(o: &Outcome, out: &mut String) {
    let totals = totals_per_rule(&o.units);
    if totals.is_empty() {
        out.push_str("<p id=\"chart\">No findings.</p>\n");
        return;
    }
    let max = totals.values().copied().max().unwrap_or(1).max(1);
    let row = 22;
    let width = 640;
    let bar_max = 420.0;
    let _ = writeln!(
        out,
        "<svg id=\"chart\" role=\"img\" aria-label=\"Findings per rule\" width=\"{width}\" height=\"{}\" viewBox=\"0 0 {width} {}\">",
        totals.len() * row + 4,
        totals.len() * row + 4
    );
    for (i, (code, n)) in totals.iter().enumerate() {
        let y = i * row + 2;
        let w = ((*n as f64 / max as f64) * bar_max).max(1.0);
        let title = rules::by_code(code).map(|r| r.title).unwrap_or("");
        let _ = writeln!(
            out,
            "<g class=\"bar\" data-code=\"{code}\" data-count=\"{n}\"><title>{code}: {} ({n})</title><text x=\"0\" y=\"{}\">{code}</text><rect x=\"70\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"#5c6bc0\"/><text x=\"{:.1}\" y=\"{}\">{n}</text></g>",
            escape(title),
            y + 15,
            row - 6,
            70.0 + w + 6.0,
            y + 15
        );
    }
    out.push_str("</svg>\n");
}

/// The whole page.
pub fn page(o: &Outcome) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width\">\n<title>extguard report</title>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style></head>\n<body>\n<h1>extguard scan report</h1>\n");
    let ext = o
        .units
        .iter()
        .filter(|u| u.kind == UnitKind::Extension)
        .count();
    let findings: usize = o.units.iter().map(|u| u.findings().count()).sum();
    let _ = writeln!(
        out,
        "<p id=\"summary\">{ext} extension(s), {} unpackaged group(s), {} file(s), {findings} finding(s), {} input error(s){}.</p>",
        o.units.len() - ext,
        o.units.iter().map(|u| u.files.len()).sum::<usize>(),
        o.errors.len(),
        if o.interrupted { "; interrupted, results are partial" } else { "" }
    );
    out.push_str("<h2>Findings per rule</h2>\n");
    chart(o, &mut out);

    out.push_str("<h2>Extensions</h2>\n<table id=\"extensions\"><thead><tr>");
    for (key, ty, label) in [
        ("name", "text", "Extension"),
        ("version", "text", "Version"),
        ("files", "num", "Files"),
        ("errors", "num", "Errors"),
        ("warnings", "num", "Warnings"),
        ("findings", "num", "Findings"),
    ] {
        let _ = write!(
            out,
            "<th data-key=\"{key}\" data-type=\"{ty}\">{label}</th>"
        );
    }
    out.push_str("<th>Top codes</th><th data-key=\"source\" data-type=\"text\">Source</th></tr></thead>\n<tbody>\n");
    for (i, u) in o.units.iter().enumerate() {
        let s = u.summary;
        let top: Vec<String> = top_codes(u, 3)
            .iter()
            .map(|(c, k)| format!("{c}&times;{k}"))
            .collect();
        let version = u.version.as_deref().unwrap_or("");
        let n = u.findings().count();
        let _ = writeln!(
            out,
            "<tr data-i=\"{i}\"><td data-v=\"{name}\"><a href=\"#u{i}\">{name}</a></td><td data-v=\"{v}\">{v}</td><td class=\"n\" data-v=\"{files}\">{files}</td><td class=\"n\" data-v=\"{e}\">{e}</td><td class=\"n\" data-v=\"{w}\">{w}</td><td class=\"n\" data-v=\"{n}\">{n}</td><td>{top}</td><td data-v=\"{src}\">{src}</td></tr>",
            name = escape(&u.name),
            v = escape(version),
            files = u.files.len(),
            e = s.errors + s.parse_errors,
            w = s.warnings,
            top = top.join(" "),
            src = escape(&u.source),
        );
    }
    out.push_str("</tbody></table>\n");

    if !o.errors.is_empty() {
        out.push_str("<h2>Input errors</h2>\n<ul class=\"errors\">\n");
        for e in &o.errors {
            let _ = writeln!(out, "<li>{}</li>", escape(e));
        }
        out.push_str("</ul>\n");
    }

    out.push_str("<h2>Findings</h2>\n");
    for (i, u) in o.units.iter().enumerate() {
        if u.findings().next().is_none() {
            continue;
        }
        let _ = writeln!(
            out,
            "<section class=\"unit\" id=\"u{i}\"><h3>{} {}</h3>",
            escape(&u.name),
            escape(u.version.as_deref().unwrap_or(""))
        );
        for f in u.findings() {
            let g = &f.finding;
            let _ = write!(
                out,
                "<div class=\"finding {sev}\" data-code=\"{code}\"><div><b>{code}</b> {title}: {msg}{obj}</div><div class=\"loc\">{path}:{line}:{col}</div><pre class=\"snippet\">",
                sev = g.severity.as_str(),
                code = g.code,
                title = escape(g.title),
                msg = escape(&g.message),
                obj = g
                    .object
                    .as_ref()
                    .map(|o| format!(" (<code>{}</code>)", escape(o)))
                    .unwrap_or_default(),
                path = escape(&g.path),
                line = g.line,
                col = g.column,
            );
            let snippet = f.snippet.as_ref();
            for (k, l) in snippet.into_iter().flat_map(|s| s.lines()).enumerate() {
                let n = snippet.map_or(g.line, |s| s.start_line) + k;
                let hl = n >= g.line && n <= g.end_line.max(g.line);
                let _ = writeln!(
                    out,
                    "<span{}><span class=\"ln\">{n}</span>{}</span>",
                    if hl { " class=\"hl\"" } else { "" },
                    escape(l)
                );
            }
            out.push_str("</pre></div>\n");
        }
        out.push_str("</section>\n");
    }
    out.push_str("<script>");
    out.push_str(SCRIPT);
    out.push_str("</script>\n</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
