/** The agent's self-signed certificate, read back by Node's (OpenSSL's) X.509 parser. */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { normalizeFingerprint, selfSignedCertificate } from '../../src/core/self-signed.ts';

test('a self-signed P-256 certificate that OpenSSL parses and verifies', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  const certificate = selfSignedCertificate({ altNames: ['localhost', '10.0.0.5', 'vm1'], now });
  const x509 = new X509Certificate(certificate.certPem);
  expect(x509.subject).toBe('CN=drvcycle-agent');
  expect(x509.issuer).toBe(x509.subject);
  expect(x509.checkIssued(x509)).toBe(true);
  expect(x509.verify(x509.publicKey)).toBe(true);
  expect(x509.publicKey.asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
  expect(x509.ca).toBe(false);
  expect(x509.subjectAltName).toBe('DNS:localhost, IP Address:10.0.0.5, DNS:vm1');
  expect(new Date(x509.validFrom).getTime()).toBe(now.getTime() - 3_600_000);
  expect(new Date(x509.validTo).getUTCFullYear()).toBe(2036);
  expect(certificate.fingerprint).toBe(x509.fingerprint256);
  expect(x509.checkPrivateKey(createPrivateKey(certificate.keyPem))).toBe(true);
});

test('each certificate has its own key, serial and fingerprint', () => {
  const [a, b] = [selfSignedCertificate(), selfSignedCertificate()];
  expect(a.fingerprint).not.toBe(b.fingerprint);
  expect(new X509Certificate(a.certPem).serialNumber).not.toBe(
    new X509Certificate(b.certPem).serialNumber,
  );
});

test('validity past 2049 is written as GeneralizedTime', () => {
  const x509 = new X509Certificate(
    selfSignedCertificate({ now: new Date('2045-06-01T00:00:00Z'), validDays: 3650 }).certPem,
  );
  expect(new Date(x509.validTo).getUTCFullYear()).toBe(2055);
});

test('fingerprints as users paste them', () => {
  const canonical = '0A:'.repeat(31) + '0A';
  expect(normalizeFingerprint('0a'.repeat(32))).toBe(canonical);
  expect(normalizeFingerprint(` sha-256:${canonical.toLowerCase()}\n`)).toBe(canonical);
  expect(normalizeFingerprint('0a'.repeat(20))).toBeUndefined(); // SHA-1 length
  expect(normalizeFingerprint('zz'.repeat(32))).toBeUndefined();
});
