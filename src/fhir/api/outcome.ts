/**
 * FHIR answers errors with OperationOutcome (docs/integration.md, "Rules"): this is the FHIR scopes' error handler.
 *
 *   outcome(severity, code, text)  -> OperationOutcome
 *   registerFhirErrors(scope)      -> AppError / validation / anything -> OperationOutcome with its status
 *   sendFhir(request, reply, body) -> application/fhir+json, or application/json when that is all the client accepts
 */
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toProblem } from '../../http/error-handler.ts';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export function sendFhir(request: FastifyRequest, reply: FastifyReply, body: unknown): FastifyReply {
  const accept = request.headers.accept ?? '';
  const plainJson = accept.includes('application/json') && !accept.includes('fhir+json');
  return reply.type(plainJson ? 'application/json; charset=utf-8' : FHIR_JSON).send(body);
}

type IssueType = OperationOutcome['issue'][number]['code'];

export function outcome(
  severity: 'error' | 'warning' | 'information',
  code: IssueType,
  text: string,
  expression?: string[],
): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity, code, details: { text }, ...(expression ? { expression } : {}) }],
  };
}

const ISSUE_BY_STATUS: Record<number, IssueType> = {
  400: 'invalid',
  401: 'login',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  412: 'conflict',
  413: 'too-long',
  415: 'not-supported',
  422: 'processing',
  429: 'throttled',
};

export function registerFhirErrors(scope: FastifyInstance): void {
  scope.setErrorHandler((error, request, reply) => {
    // One mapper decides status and wording; this only changes the envelope.
    const p = toProblem(error);
    if (p.status >= 500) request.log.error({ err: error }, 'FHIR request failed');
    const fields = p.errors?.map((e) => e.field);
    const body = outcome('error', ISSUE_BY_STATUS[p.status] ?? 'exception', p.detail, fields);
    if (p.status === 401) reply.header('www-authenticate', 'Bearer');
    return reply.code(p.status).type(FHIR_JSON).send(body);
  });
}
