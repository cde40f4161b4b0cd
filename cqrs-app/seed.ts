// Seeds the message centre's messages. Idempotent.
import type { Knex } from 'knex';
import { seedMessages } from '../seeds/messages.ts';

export async function seedCqrsApp(db: Knex): Promise<void> {
  for (const message of seedMessages) {
    await db('messages')
      .insert({
        id: message.id,
        ods_code: message.odsCode,
        subject: message.subject,
        body: message.body,
        received_at: Date.parse(message.receivedAt),
      })
      .onConflict('id')
      .merge();
  }
}
