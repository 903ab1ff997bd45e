import { declareErrors } from '../protocol/errors.js';

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** The errors of request authentication (SigV4), as AWS answers them. */
export const authErrors = declareErrors({
  missingAuthenticationToken: { code: 'MissingAuthenticationToken', status: 403, message: () => 'Request is missing Authentication Token' },
  incompleteSignature: { code: 'IncompleteSignature', message: (detail: string) => detail },
  /** A presigned URL's query parameters are malformed (X-Amz-Expires). */
  authorizationQueryParameters: { code: 'AuthorizationQueryParametersError', message: (detail: string) => detail },
  /** Without a detail: the signature itself differs; with one: the credential scope is wrong (AWS says which part). */
  signatureDoesNotMatch: { code: 'SignatureDoesNotMatch', status: 403, message: (detail?: string) => detail ?? SIGNATURE_MISMATCH },
  contentSha256Mismatch: {
    code: 'XAmzContentSHA256Mismatch',
    message: () => "The provided 'x-amz-content-sha256' header does not match what was computed.",
  },
  requestExpired: { code: 'RequestExpired', message: (detail: string) => detail },
  invalidClientTokenId: {
    code: 'InvalidClientTokenId',
    status: 403,
    message: () => 'The security token included in the request is invalid.',
  },
  /** EC2's answer for an unknown access key. */
  authFailure: { code: 'AuthFailure', status: 401, message: () => 'AWS was not able to validate the provided access credentials' },
  expiredToken: { code: 'ExpiredToken', status: 403, message: () => 'The security token included in the request is expired' },
});
