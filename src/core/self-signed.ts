/**
 * A self-signed X.509 certificate for the agent's TLS, built with node:crypto alone (the agent
 * runs from one bundled script on a bare Windows machine: no openssl, no native add-on).
 * The runner does not trust it through a CA: it pins the certificate's SHA-256 fingerprint.
 *
 * DER, as in X.509 (RFC 5280): TBSCertificate, then the signature algorithm, then the signature.
 */
import { generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';

export interface SelfSignedCertificate {
  readonly keyPem: string;
  readonly certPem: string;
  /** SHA-256 of the DER certificate, as Node prints it (AB:CD:…): what the runner pins. */
  readonly fingerprint: string;
}

const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const OID_COMMON_NAME = '2.5.4.3';
const OID_SUBJECT_ALT_NAME = '2.5.29.17';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const sequence = (...content: Buffer[]) => tlv(0x30, ...content);
const set = (...content: Buffer[]) => tlv(0x31, ...content);
const explicit = (n: number, content: Buffer) => tlv(0xa0 | n, content);

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const bytes = [a * 40 + b];
  for (const arc of rest) {
    const base128 = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) base128.unshift((v & 0x7f) | 0x80);
    bytes.push(...base128);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** A positive INTEGER from raw bytes (a leading zero when the high bit is set). */
function positiveInteger(bytes: Buffer): Buffer {
  const trimmed = bytes.subarray(
    Math.max(
      0,
      bytes.findIndex((b) => b !== 0),
    ),
  );
  return tlv(0x02, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** UTCTime up to 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`, 'ascii'))
    : tlv(0x18, Buffer.from(`${iso}Z`, 'ascii'));
}

function name(commonName: string): Buffer {
  return sequence(set(sequence(oid(OID_COMMON_NAME), tlv(0x0c, Buffer.from(commonName, 'utf8')))));
}

/** dNSName [2] or iPAddress [7] entries. */
function subjectAltNames(names: readonly string[]): Buffer {
  const entries = names.map((n) => {
    const ip = ipBytes(n);
    return ip ? tlv(0x87, ip) : tlv(0x82, Buffer.from(n, 'ascii'));
  });
  return sequence(oid(OID_SUBJECT_ALT_NAME), tlv(0x04, sequence(...entries)));
}

function ipBytes(address: string): Buffer | undefined {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(address)) return Buffer.from(address.split('.').map(Number));
  if (address === '::1') return Buffer.from([...Array<number>(15).fill(0), 1]);
  return undefined;
}

export interface CertificateOptions {
  /** The subject's common name; default "drvcycle-agent". */
  readonly commonName?: string;
  /** Names the certificate is issued for; default localhost, 127.0.0.1 and ::1. */
  readonly altNames?: readonly string[];
  readonly validDays?: number;
  readonly now?: Date;
}

/** A new P-256 key and a certificate for it, signed by itself. */
export function selfSignedCertificate(options: CertificateOptions = {}): SelfSignedCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const notBefore = new Date((options.now ?? new Date()).getTime() - 60 * 60_000);
  const notAfter = new Date(notBefore.getTime() + (options.validDays ?? 3650) * 86_400_000);
  const algorithm = sequence(oid(OID_ECDSA_WITH_SHA256));
  const subject = name(options.commonName ?? 'drvcycle-agent');
  const extensions = explicit(
    3,
    sequence(
      sequence(oid(OID_BASIC_CONSTRAINTS), tlv(0x04, sequence())),
      subjectAltNames(options.altNames ?? ['localhost', '127.0.0.1', '::1']),
    ),
  );
  const tbs = sequence(
    explicit(0, tlv(0x02, Buffer.from([2]))), // v3
    positiveInteger(randomBytes(16)),
    algorithm,
    subject,
    sequence(time(notBefore), time(notAfter)),
    subject,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  );
  const signature = sign('sha256', tbs, privateKey); // DER ECDSA-Sig-Value
  const der = sequence(tbs, algorithm, tlv(0x03, Buffer.from([0]), signature));
  const certPem = `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
  return {
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    certPem,
    fingerprint: new X509Certificate(certPem).fingerprint256,
  };
}

/**
 * A fingerprint as a user may write it (colons or not, any case, an optional "sha256:" or
 * "SHA256/" prefix) in Node's form; undefined when it is not 32 bytes of hex.
 */
export function normalizeFingerprint(text: string): string | undefined {
  const hex = text
    .trim()
    .replace(/^sha-?256[:/]/i, '')
    .replace(/[:\s]/g, '');
  if (!/^[0-9a-f]{64}$/i.test(hex)) return undefined;
  return hex.toUpperCase().replace(/(..)(?!$)/g, '$1:');
}
