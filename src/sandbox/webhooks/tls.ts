// A self-signed serving certificate for the simulator's webhooks, made with node:crypto alone.
// Node can sign but has no API that builds an X.509 certificate, so the few DER structures of RFC
// 5280 a certificate needs are written out here (about forty lines) rather than adding a package or
// requiring the openssl binary on the machine. The kube-apiserver trusts the certificate through
// the caBundle of the webhook registrations: it is its own CA (basicConstraints CA:TRUE), valid for
// 127.0.0.1 and localhost, with an ECDSA P-256 key, and made afresh at every start. The sandbox's
// HTTP endpoints use a CA of the same kind that issues a certificate per requested host name.
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

export interface ServingCertificate {
  /** PEM certificate, also the CA to trust. */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
  /** The certificate PEM, base64: what caBundle fields take. */
  caBundle: string;
}

export function selfSignedCertificate(commonName = 'runbook sandbox webhooks', validDays = 365): ServingCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const cert = certificate({ subject: commonName, issuer: commonName, publicKey, signingKey: privateKey, ca: true, sans: { ips: ['127.0.0.1'], dnsNames: ['localhost'] }, validDays });
  return { cert, key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), caBundle: Buffer.from(cert).toString('base64') };
}

/** A certificate authority that issues serving certificates for any name (the sandbox's endpoints). */
export interface CertificateAuthority {
  /** PEM of the CA certificate: what a client trusts. */
  cert: string;
  issue(names: { dnsNames?: string[]; ips?: string[] }, validDays?: number): { cert: string; key: string };
}

export function certificateAuthority(commonName: string, validDays = 365): CertificateAuthority {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const cert = certificate({ subject: commonName, issuer: commonName, publicKey, signingKey: privateKey, ca: true, sans: {}, validDays });
  return {
    cert,
    issue(names, days = validDays) {
      const leaf = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const subject = names.dnsNames?.[0] ?? names.ips?.[0] ?? 'sandbox endpoint';
      const pem = certificate({ subject, issuer: commonName, publicKey: leaf.publicKey, signingKey: privateKey, ca: false, sans: names, validDays: days });
      return { cert: pem, key: leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
    },
  };
}

interface CertificateSpec {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  signingKey: KeyObject;
  ca: boolean;
  sans: { dnsNames?: string[]; ips?: string[] };
  validDays: number;
}

function certificate(spec: CertificateSpec): string {
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const nameOf = (cn: string): Buffer => seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn)))));
  const serial = randomBytes(16);
  // Positive and without a leading zero byte: DER refuses an INTEGER padded with one it does not need.
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  const now = Date.now();
  const altNames = [
    ...(spec.sans.ips ?? []).map((ip) => tlv(0x87, Buffer.from(ip.split('.').map(Number)))),
    ...(spec.sans.dnsNames ?? []).map((dns) => tlv(0x82, Buffer.from(dns))),
  ];
  const extensions = [
    extension('2.5.29.19', true, spec.ca ? seq(tlv(0x01, Buffer.from([0xff]))) : seq()), // basicConstraints
    // keyUsage: digitalSignature (+ keyCertSign for a CA)
    extension('2.5.29.15', true, tlv(0x03, spec.ca ? Buffer.from([0x02, 0x84]) : Buffer.from([0x07, 0x80]))),
    extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))), // extKeyUsage serverAuth
    ...(altNames.length ? [extension('2.5.29.17', false, seq(...altNames))] : []), // subjectAltName
  ];
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))), // version 3
    integer(serial),
    ecdsaWithSha256,
    nameOf(spec.issuer),
    seq(time(new Date(now - 3600_000)), time(new Date(now + spec.validDays * 86400_000))),
    nameOf(spec.subject),
    spec.publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, spec.signingKey); // DER-encoded ECDSA signature
  const der = seq(tbs, ecdsaWithSha256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  let length: Buffer;
  if (body.length < 0x80) length = Buffer.from([body.length]);
  else {
    const bytes: number[] = [];
    for (let n = body.length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

const seq = (...content: Buffer[]): Buffer => tlv(0x30, ...content);
const set = (...content: Buffer[]): Buffer => tlv(0x31, ...content);
const integer = (value: Buffer): Buffer => tlv(0x02, value[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), value]) : value);

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [first * 40 + second];
  for (const part of rest) {
    const group = [part & 0x7f];
    for (let v = part >> 7; v > 0; v >>= 7) group.unshift((v & 0x7f) | 0x80);
    bytes.push(...group);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime before 2050, GeneralizedTime after, as RFC 5280 requires. */
function time(d: Date): Buffer {
  const digits = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${digits}Z`));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}
