import { TokenscopeError } from "@tokenscope/core";

/** One record of a CSV text: its fields, and the line it starts on (1-based). */
export interface CsvRecord {
  fields: string[];
  line: number;
}

function csvError(source: string, line: number, what: string): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", `${source}, line ${line}: ${what}.`, {
    hint: 'Write CSV as RFC 4180 does: fields separated by commas, a field holding a comma, a quote or a line break in double quotes, a quote inside one doubled ("").',
    details: { source, line },
  });
}

/**
 * The records of a CSV text, read as RFC 4180 says: fields separated by commas, records by CRLF (a
 * bare LF is accepted too), a field in double quotes may hold commas, line breaks and doubled quotes
 * (`""` for `"`). A leading byte-order mark is dropped; blank lines (no field at all) are skipped.
 * Lenient where RFC 4180 is silent: a quote inside an unquoted field is kept as it is.
 * @throws TokenscopeError INVALID_INPUT for a quoted field left open, or text after a closing quote.
 */
export function parseCsv(text: string, source = "the CSV text"): CsvRecord[] {
  const records: CsvRecord[] = [];
  let index = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let fields: string[] = [];
  let recordLine = 1;
  let blank = true;
  while (index <= text.length) {
    // One field starts here.
    let field = "";
    if (text[index] === '"') {
      const openedOn = line;
      index++;
      for (;;) {
        const quote = text.indexOf('"', index);
        if (quote === -1) throw csvError(source, openedOn, "a quoted field is never closed");
        const part = text.slice(index, quote);
        for (let at = part.indexOf("\n"); at !== -1; at = part.indexOf("\n", at + 1)) line++;
        field += part;
        if (text[quote + 1] === '"') {
          field += '"';
          index = quote + 2;
          continue;
        }
        index = quote + 1;
        break;
      }
      const after = text[index];
      if (
        after !== undefined &&
        after !== "," &&
        after !== "\n" &&
        !(after === "\r" && text[index + 1] === "\n")
      ) {
        throw csvError(source, line, `text after the closing quote of a field (${JSON.stringify(after)})`);
      }
      blank = false;
    } else {
      let end = index;
      while (end < text.length && text[end] !== "," && text[end] !== "\n") end++;
      field = text.slice(index, end);
      if (text[end] === "\n" && field.endsWith("\r")) field = field.slice(0, -1);
      if (field.length > 0 || text[end] === ",") blank = false;
      index = end;
    }
    fields.push(field);
    const separator = text[index];
    if (separator === ",") {
      index++;
      continue;
    }
    // The end of a record: a line break or the end of the text.
    if (!blank) records.push({ fields, line: recordLine });
    if (separator === "\r") index++;
    index++;
    line++;
    fields = [];
    blank = true;
    recordLine = line;
  }
  return records;
}
