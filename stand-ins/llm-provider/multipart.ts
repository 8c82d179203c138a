/**
 * multipart/form-data as the openai SDK sends file uploads (RFC 7578): just enough to read
 * the fields and the one file of a transcription request. Malformed bodies give `null`, which
 * the route answers as OpenAI does, with a 400.
 */

export interface FormPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** The boundary of a `multipart/form-data; boundary=…` content type, else null. */
export function boundaryOf(contentType: string): string | null {
  if (!/^multipart\/form-data\b/i.test(contentType)) return null;
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m?.[1] ?? m?.[2] ?? null;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

export function parseMultipart(body: Buffer, boundary: string): FormPart[] | null {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) return null;
  for (;;) {
    at += delimiter.length;
    // `--` after a delimiter closes the body.
    if (body.subarray(at, at + 2).toString() === '--') return parts;
    if (!body.subarray(at, at + 2).equals(CRLF)) return null;
    const headersEnd = body.indexOf(HEADER_END, at + 2);
    if (headersEnd < 0) return null;
    const next = body.indexOf(Buffer.concat([CRLF, delimiter]), headersEnd + 4);
    if (next < 0) return null;
    const part = partOf(body.subarray(at + 2, headersEnd).toString('utf8'));
    if (!part) return null;
    parts.push({ ...part, data: body.subarray(headersEnd + 4, next) });
    at = next + CRLF.length;
  }
}

function partOf(headerText: string): Omit<FormPart, 'data'> | null {
  let name: string | undefined;
  let filename: string | undefined;
  let contentType: string | undefined;
  for (const line of headerText.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) return null;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'content-type') contentType = value;
    if (key !== 'content-disposition') continue;
    name = /(?:^|;)\s*name="([^"]*)"/i.exec(value)?.[1];
    filename = /(?:^|;)\s*filename="([^"]*)"/i.exec(value)?.[1];
  }
  if (name === undefined) return null;
  return {
    name,
    ...(filename !== undefined ? { filename } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
  };
}
