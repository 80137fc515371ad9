// CSV in the browser: parsing a file for its preview (RFC 4180 quotes, `,` `;` or tab detected
// from the header as the server does) and writing a list as CSV that Excel opens correctly
// (UTF-8 with a BOM, CRLF lines, every field that needs it quoted) and safely (no text cell
// starts a formula: see csvCell).

export function detectDelimiter(text: string): string {
  const header = text.slice(0, Math.max(0, text.indexOf('\n')) || text.length)
  const counts = [',', ';', '\t'].map((d) => [d, header.split(d).length - 1] as const)
  counts.sort((a, b) => b[1] - a[1])
  return counts[0][1] > 0 ? counts[0][0] : ','
}

// Rows of fields; stops after `maxRows` rows (the header included) when given.
export function parseCsv(text: string, maxRows = Infinity): string[][] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  const d = detectDelimiter(text)
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  let i = 0
  while (i < text.length) {
    const c = text[i]
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i += 2
          continue
        }
        quoted = false
      } else field += c
      i++
      continue
    }
    if (c === '"' && field === '') {
      quoted = true
    } else if (c === d) {
      row.push(field)
      field = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      row.push(field)
      field = ''
      if (!(row.length === 1 && row[0] === '')) rows.push(row)
      row = []
      if (rows.length >= maxRows) return rows
    } else field += c
    i++
  }
  if (field !== '' || row.length) {
    row.push(field)
    if (!(row.length === 1 && row[0] === '')) rows.push(row)
  }
  return rows
}

// Number of data rows (non-empty lines after the header), counted without keeping them.
export function countRows(text: string): number {
  return Math.max(0, parseCsv(text).length - 1)
}

// Formula injection (CSV injection, CWE-1236): a spreadsheet opening the file runs a cell that
// begins with = + - @ — or with a tab or carriage return, which some strip first — so a feedback
// form's `=HYPERLINK(…)` would reach the admin's Excel as a live formula. Such text gets a leading
// single quote (OWASP's rule) and is always quoted. Numbers the API sends as JSON numbers are
// written as they are: -12.5 stays a number the spreadsheet can add up; only text is prefixed
// (a phone kept as the text "+86…" is written '+86…: still text, never a number or a formula).
const FORMULA_START = /^[=+\-@\t\r]/

export function neutraliseFormula(s: string): string {
  return FORMULA_START.test(s) ? "'" + s : s
}

export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return ''
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  if (typeof v === 'boolean') return String(v)
  const raw = typeof v === 'object' ? JSON.stringify(v) : String(v)
  const s = neutraliseFormula(raw)
  return s !== raw || /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s
}

export function toCsv(columns: string[], rows: Record<string, unknown>[]): string {
  const lines = [columns.map(csvCell).join(',')]
  for (const r of rows) lines.push(columns.map((c) => csvCell(r[c])).join(','))
  return '\ufeff' + lines.join('\r\n') + '\r\n'
}

export function saveText(text: string, filename: string, type = 'text/csv;charset=utf-8') {
  const blob = new Blob([text], { type })
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(a.href), 1000)
}
