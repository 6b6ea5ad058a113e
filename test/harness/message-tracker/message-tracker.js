'use strict';
// A test-only Node-RED node file (loaded through `nodesDir` by startNodeRed({ trackMessages: true })):
// it follows messages through Node-RED's messaging hooks, so a test can wait for the flow it
// started to finish instead of waiting for a while.
//
//   GET <admin>/certflow-test/messages          -> { received, completed, byNode: { <node id>: received },
//                                                    open: { <node id>: received but not completed } }
//   GET <admin>/certflow-test/settled?after=N   -> answers once more than N messages were received,
//                                                  every received message is completed and none is
//                                                  on its way to a node
//
// On its way: Node-RED delivers a message one setImmediate after its send (preDeliver, then
// onReceive), so a node can be done while what it sent has not arrived yet.
// A node whose input handler takes no done() (the core switch node in Node-RED 4.1) never reports
// completion: its message counts as completed once its handler has run (postReceive). Which
// nodes those are only Node-RED's private node._expectedDoneCount tells (the number of handlers
// that take done); if it is ever missing, the endpoints say so instead of waiting forever.
module.exports = function (RED) {
  let received = 0;
  let completed = 0;
  const byNode = {};
  const completedByNode = {};
  const onTheWay = new Map(); // msg object -> deliveries scheduled, not yet received
  let adapterProblem = null;
  const waiting = new Set();

  const open = () =>
    Object.fromEntries(
      Object.entries(byNode)
        .map(([id, count]) => [id, count - (completedByNode[id] || 0)])
        .filter(([, count]) => count > 0),
    );

  function answerSettled() {
    if (onTheWay.size > 0 || completed < received) return;
    for (const waiter of waiting) {
      if (received > waiter.after) {
        waiting.delete(waiter);
        waiter.res.json({ received, completed });
      }
    }
  }

  function complete(id) {
    completed += 1;
    completedByNode[id] = (completedByNode[id] || 0) + 1;
    answerSettled();
  }

  RED.hooks.add('preDeliver.certflowTestTracker', (event) => {
    onTheWay.set(event.msg, (onTheWay.get(event.msg) || 0) + 1);
  });
  RED.hooks.add('onReceive.certflowTestTracker', (event) => {
    received += 1;
    const id = event.destination.id;
    byNode[id] = (byNode[id] || 0) + 1;
    const scheduled = onTheWay.get(event.msg);
    if (scheduled > 1) onTheWay.set(event.msg, scheduled - 1);
    else onTheWay.delete(event.msg);
  });
  RED.hooks.add('postReceive.certflowTestTracker', (event) => {
    const expected = event.destination.node._expectedDoneCount;
    if (typeof expected !== 'number') {
      adapterProblem = 'Node-RED has no node._expectedDoneCount any more: update test/harness/message-tracker';
    } else if (expected === 0) {
      complete(event.destination.id);
    }
  });
  RED.hooks.add('onComplete.certflowTestTracker', (event) => complete(event.node.id));

  RED.httpAdmin.get('/certflow-test/messages', (req, res) => {
    if (adapterProblem) return res.status(500).json({ error: adapterProblem });
    res.json({ received, completed, byNode, open: open() });
  });
  RED.httpAdmin.get('/certflow-test/settled', (req, res) => {
    if (adapterProblem) return res.status(500).json({ error: adapterProblem });
    const waiter = { after: Number(req.query.after) || 0, res };
    waiting.add(waiter);
    req.on('close', () => waiting.delete(waiter));
    answerSettled();
  });
};
