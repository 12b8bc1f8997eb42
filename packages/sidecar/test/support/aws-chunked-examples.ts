/**
 * AWS's published aws-chunked examples (Amazon S3 API Reference, "Signature
 * Calculations for the Authorization Header: Transferring Payload in Multiple
 * Chunks" and "… Including Trailing Headers"): a 66,560-byte object of 'a'
 * uploaded in a 64 KiB chunk, a 1 KiB chunk and the final empty chunk, signed
 * with AWS's example credentials at 20130524T000000Z. Every signature below is
 * the one AWS published; a verifier that accepts them computes chunk and trailer
 * signatures exactly as AWS does.
 */

/** AWS's documentation credentials. */
export const EXAMPLE_CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
} as const;

/** The examples' signing time, 2013-05-24T00:00:00Z, for a verifier's clock. */
export const EXAMPLE_TIME_MS = Date.UTC(2013, 4, 24);

/** One published example request. */
export interface ChunkedExample {
  method: 'PUT';
  path: string;
  /** Request headers exactly as published (Host included). */
  headers: Record<string, string>;
  /** The aws-chunked body on the wire. */
  body: Buffer;
  /** The decoded object. */
  payload: Buffer;
}

const PAYLOAD = Buffer.alloc(66_560, 'a');
const SCOPE = 'AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request';

function body(signatures: readonly [string, string, string], trailer: string): Buffer {
  const [first, second, final] = signatures;
  return Buffer.concat([
    Buffer.from(`10000;chunk-signature=${first}\r\n`),
    PAYLOAD.subarray(0, 65_536),
    Buffer.from(`\r\n400;chunk-signature=${second}\r\n`),
    PAYLOAD.subarray(65_536),
    Buffer.from(`\r\n0;chunk-signature=${final}\r\n${trailer}\r\n`),
  ]);
}

/** `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: seed 4f232c43…, chunks ad80c730…, 0055627c…, b6c6ea8a…. */
export function signedChunkedExample(): ChunkedExample {
  return {
    method: 'PUT',
    path: '/examplebucket/chunkObject.txt',
    headers: {
      host: 's3.amazonaws.com',
      'x-amz-date': '20130524T000000Z',
      'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      authorization:
        `AWS4-HMAC-SHA256 Credential=${SCOPE},` +
        'SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,' +
        'Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '66560',
      'content-length': '66824',
    },
    body: body(
      [
        'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
        '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
        'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
      ],
      '',
    ),
    payload: PAYLOAD,
  };
}

/**
 * `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER` with an `x-amz-checksum-crc32c`
 * trailer (sOO8/Q==): seed 106e2a8a…, chunks b474d886…, 1c1344b1…, 2ca2aba2…,
 * trailer signature d81f82fc….
 */
export function signedTrailerExample(): ChunkedExample {
  const wire = body(
    [
      'b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2',
      '1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7',
      '2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992',
    ],
    'x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n',
  );
  return {
    method: 'PUT',
    path: '/examplebucket/chunkObject.txt',
    headers: {
      host: 's3.amazonaws.com',
      'x-amz-date': '20130524T000000Z',
      'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      authorization:
        `AWS4-HMAC-SHA256 Credential=${SCOPE},` +
        'SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,' +
        'Signature=106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e',
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '66560',
      'x-amz-trailer': 'x-amz-checksum-crc32c',
      'content-length': String(wire.length),
    },
    body: wire,
    payload: PAYLOAD,
  };
}
