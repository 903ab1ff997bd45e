import { declareErrors } from './errors.js';

/**
 * The errors of the front door and the wire protocols (before any service runs): a request that names no service
 * or operation here, a body that does not decode, input that breaks the service model's constraints.
 */
export const wireErrors = declareErrors({
  bodyTooLarge: { code: 'RequestEntityTooLarge', status: 413, message: (limit: number) => `Request size exceeded ${limit} bytes.` },
  serviceNotProvided: {
    code: 'InvalidAction',
    message: (service: string) => `This cloud does not provide the service '${service}'.`,
  },
  missingAction: { code: 'MissingAction', message: () => 'The request must contain the parameter Action.' },
  unknownJsonOperation: { code: 'UnknownOperationException', message: (action: string) => `Unknown operation ${action}.` },
  invalidAction: { code: 'InvalidAction', message: (action: string) => `The action ${action} is not valid for this web service.` },
  notImplemented: {
    code: 'NotImplemented',
    status: 501,
    message: (serviceId: string, action: string) => `${serviceId} ${action} is not implemented by halo yet.`,
  },
  unknownRestOperation: {
    code: 'UnknownOperationException',
    status: 404,
    message: (method: string, path: string) => `No operation of this service answers ${method} ${path}.`,
  },
  badGzip: {
    code: 'SerializationException',
    message: () => 'The request body says Content-Encoding: gzip but is not valid gzip data.',
  },
  regionNotServed: {
    code: 'OptInRequired',
    status: 403,
    message: (region: string) =>
      `You are not subscribed to this service in region '${region}'. This cloud serves: the regions DescribeRegions lists.`,
  },
  internalFailure: {
    code: 'InternalFailure',
    status: 500,
    message: (requestId: string) => `The request processing has failed because of an internal error (request id ${requestId}).`,
  },
  /** Coral's JSON deserializer, in its words ("Start of list found where not expected", ...). */
  serialization: { code: 'SerializationException', message: (message: string) => message },
  /** REST-JSON services (EFS) answer a bad request as BadRequest, naming the first problem. */
  badRequest: { code: 'BadRequest', message: (message: string) => message },
  /** CloudWatch's words for a missing member over JSON. */
  parameterRequired: { code: 'MissingParameter', message: (path: string) => `The parameter ${path} is required.` },
  /** EC2's words for a missing member. */
  ec2ParameterRequired: { code: 'MissingParameter', message: (name: string) => `The request must contain the parameter ${name}` },
  /** Model constraint violations, as Coral reports them: JSON services say ValidationException, query ones ValidationError. */
  validationException: { code: 'ValidationException', message: (message: string) => message },
  validationError: { code: 'ValidationError', message: (message: string) => message },
  invalidParameterValue: { code: 'InvalidParameterValue', message: (message: string) => message },
});
