import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { principalOf } from '../http/auth-hook.ts';
import { ProblemSchema } from '../http/problem.ts';
import type { AccountService } from './account.service.ts';

/** DELETE /auth/me: erasure (protected scope). */
export function accountRoutes(app: FastifyInstance, account: AccountService): void {
  app.delete(
    '/auth/me',
    {
      config: { audit: 'account.erase', errors: [409] },
      schema: {
        tags: ['Accounts'],
        security: [{ bearerAuth: [] }],
        summary: 'Erase the account',
        description:
          'Erases the account and every piece of data about the person (observations, FHIR resources, vendor connections, audit trail); every token of the account stops working.',
        response: { 204: Type.Null({ description: 'Erased' }), 401: ProblemSchema },
      },
    },
    async (req, reply) => {
      await account.erase(principalOf(req), { requestId: req.id });
      return reply.code(204).send();
    },
  );
}
