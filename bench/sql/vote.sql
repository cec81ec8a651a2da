-- The API vote's statements (polls/services/votes.py) as pgbench runs them: one transaction,
-- each statement one round trip, prepared. A poll among :count polls from :first (one poll when
-- :count is 1), one of its 4 options (ids 4 (poll - 1) + 1 ... 4 poll: bench/load.py), and a
-- new voter from the bench_voter sequence, so no (voter, poll) pair is used twice.
\set poll :first + random(0, :count - 1)
\set option 4 * (:poll - 1) + random(1, 4)
BEGIN;
UPDATE polls_option SET votes = votes + 1
    WHERE id = :option AND poll_id = (
        SELECT id FROM polls_poll
        WHERE public_id = 'p' || lpad(CAST(:poll AS text), 10, '0')
            AND closed_at IS NULL AND closes_at > now()
    )
    RETURNING poll_id,
        (SELECT voter_mode FROM polls_poll WHERE polls_poll.id = polls_option.poll_id) AS mode,
        (SELECT voter_names FROM polls_poll WHERE polls_poll.id = polls_option.poll_id) AS names \gset
INSERT INTO polls_ballot (poll_id, voter_id, identity, cast_at)
    VALUES (:poll_id, nextval('bench_voter'), 'user:' || currval('bench_voter'), now())
    RETURNING id AS ballot_id \gset
INSERT INTO polls_choice (ballot_id, poll_id, option_id, rank)
    VALUES (:ballot_id, :poll_id, :option, NULL);
UPDATE polls_poll SET ballot_count = ballot_count + 1, revision = revision + 1
    WHERE id = :poll_id
    RETURNING id, public_id, title, author_id, created_at, closes_at, closed_at, ballot_count,
        revision, (SELECT username FROM polls_user WHERE polls_user.id = author_id);
SELECT id, label, label_key, position, votes, poll_id FROM polls_option
    WHERE poll_id = :poll_id ORDER BY position, id;
COMMIT;
