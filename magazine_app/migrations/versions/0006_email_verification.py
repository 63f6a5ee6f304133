"""verified e-mail addresses

Revision ID: 0006_email_verification
Revises: 0005_job_lease

`users.email_verified_at`: when the owner proved they read the mailbox. Accounts that
exist before this revision are taken as verified (they were created under the old rules,
and asking every reader to verify again would lock out paying subscribers); the date
used is the account's creation, the only date every row has.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_email_verification"
down_revision = "0005_job_lease"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_verified_at", sa.DateTime(), nullable=True))
    op.execute(sa.text("UPDATE users SET email_verified_at = created_at"))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email_verified_at")
