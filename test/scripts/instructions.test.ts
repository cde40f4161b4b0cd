// perf's CSV output as the bench reads it: a count where perf could count, nothing where it could not.
import test from 'ava';
import { parseInstructions } from '../../scripts/bench/instructions.ts';

test('the count is read from the instructions line of perf stat -x ,', (t) => {
  t.is(parseInstructions('1297544,,instructions,1530120,100.00,,\n'), 1297544);
  t.is(parseInstructions('# started on Tue Dec  1\n\n88213,,instructions:u,2000,100.00,,\n'), 88213);
});

test('a counter perf cannot read gives no count', (t) => {
  t.is(parseInstructions('<not supported>,,instructions,0,100.00,,\n'), null);
  t.is(parseInstructions('<not counted>,,instructions,0,0.00,,\n'), null);
  t.is(parseInstructions('perf: command not found\n'), null);
  t.is(parseInstructions(''), null);
});
