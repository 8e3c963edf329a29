import type { FastifyReply } from 'fastify';

/** A short text/plain answer on one line (newlines in the reason folded), never cached: how every refusal and error reaches the go command, which prints it. */
export function sendText(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/plain; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(`${text.replace(/[\r\n]+/g, ' ')}\n`);
}
