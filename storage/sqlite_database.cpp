// The sqlite3 C API behind Database / Statement / Transaction, and the one
// place that turns SQLite result codes into words a person can act on.
#include "storage/sqlite_database.h"

#include <sqlite3.h>

#include <utility>

namespace lwb::storage {

namespace {

// What a result code means for someone looking at a run store file.
std::string describe(int resultCode)
{
    switch (resultCode & 0xff) {
    case SQLITE_FULL:
        return "the disk is full (or the database reached its size limit)";
    case SQLITE_READONLY:
        return "the file is read-only";
    case SQLITE_NOTADB:
        return "the file is not an SQLite database";
    case SQLITE_CORRUPT:
        return "the database file is corrupt";
    case SQLITE_BUSY:
        return "the database is locked by another process";
    case SQLITE_LOCKED:
        return "the database is locked by another connection";
    case SQLITE_CANTOPEN:
        return "the file cannot be opened";
    case SQLITE_PERM:
        return "permission denied";
    case SQLITE_IOERR:
        return "an input/output error occurred";
    case SQLITE_NOMEM:
        return "out of memory";
    case SQLITE_CONSTRAINT:
        return "a constraint was violated";
    default:
        return sqlite3_errstr(resultCode);
    }
}

} // namespace

bool DatabaseError::isBusy() const
{
    const int primary = resultCode_ & 0xff;
    return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

// --- Statement ---------------------------------------------------------------

Statement::Statement(Database &database, std::string_view sql)
    : database_(&database)
{
    const int rc
        = sqlite3_prepare_v2(database.handle(), sql.data(), static_cast<int>(sql.size()), &statement_, nullptr);
    if (rc != SQLITE_OK)
        database.fail(rc, "preparing a statement");
}

Statement::~Statement()
{
    sqlite3_finalize(statement_);
}

Statement::Statement(Statement &&other) noexcept
    : statement_(std::exchange(other.statement_, nullptr))
    , database_(other.database_)
{
}

Statement &Statement::operator=(Statement &&other) noexcept
{
    if (this != &other) {
        sqlite3_finalize(statement_);
        statement_ = std::exchange(other.statement_, nullptr);
        database_ = other.database_;
    }
    return *this;
}

Statement &Statement::bind(int index, std::int64_t value)
{
    const int rc = sqlite3_bind_int64(statement_, index, value);
    if (rc != SQLITE_OK)
        database_->fail(rc, "binding a parameter");
    return *this;
}

Statement &Statement::bind(int index, double value)
{
    const int rc = sqlite3_bind_double(statement_, index, value);
    if (rc != SQLITE_OK)
        database_->fail(rc, "binding a parameter");
    return *this;
}

Statement &Statement::bind(int index, std::string_view text)
{
    const int rc = sqlite3_bind_text64(statement_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK)
        database_->fail(rc, "binding a parameter");
    return *this;
}

Statement &Statement::bindBlob(int index, const void *data, std::size_t size)
{
    const int rc = sqlite3_bind_blob64(statement_, index, size ? data : "", size, SQLITE_TRANSIENT);
    if (rc != SQLITE_OK)
        database_->fail(rc, "binding a parameter");
    return *this;
}

Statement &Statement::bindNull(int index)
{
    const int rc = sqlite3_bind_null(statement_, index);
    if (rc != SQLITE_OK)
        database_->fail(rc, "binding a parameter");
    return *this;
}

bool Statement::step()
{
    const int rc = sqlite3_step(statement_);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    sqlite3_reset(statement_);
    database_->fail(rc, "executing a statement");
}

void Statement::run()
{
    while (step()) { }
    reset();
}

void Statement::reset()
{
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
}

bool Statement::isNull(int column) const
{
    return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

std::int64_t Statement::columnInt(int column) const
{
    return sqlite3_column_int64(statement_, column);
}

double Statement::columnDouble(int column) const
{
    return sqlite3_column_double(statement_, column);
}

std::string Statement::columnText(int column) const
{
    const auto *text = reinterpret_cast<const char *>(sqlite3_column_text(statement_, column));
    if (!text)
        return {};
    return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)));
}

std::string_view Statement::columnBlob(int column) const
{
    const void *data = sqlite3_column_blob(statement_, column);
    if (!data)
        return {};
    return std::string_view(static_cast<const char *>(data),
                            static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)));
}

// --- Database ----------------------------------------------------------------

Database::Database(std::string path, OpenMode mode)
    : path_(std::move(path))
{
    int flags = SQLITE_OPEN_NOMUTEX; // one connection per thread (see header)
    switch (mode) {
    case OpenMode::ReadOnly:
        flags |= SQLITE_OPEN_READONLY;
        break;
    case OpenMode::ReadWrite:
        flags |= SQLITE_OPEN_READWRITE;
        break;
    case OpenMode::ReadWriteCreate:
        flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
        break;
    }
    const int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        const std::string reason = describe(rc) + (db_ ? std::string(" (") + sqlite3_errmsg(db_) + ")" : "");
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw DatabaseError(path_, reason, rc);
    }
    sqlite3_extended_result_codes(db_, 1);
}

Database::~Database()
{
    cache_.clear(); // finalise every statement before the connection closes
    sqlite3_close_v2(db_);
}

void Database::execute(std::string_view sql)
{
    const char *cursor = sql.data();
    const char *end = sql.data() + sql.size();
    while (cursor < end) {
        sqlite3_stmt *statement = nullptr;
        const char *tail = nullptr;
        const int rc = sqlite3_prepare_v2(db_, cursor, static_cast<int>(end - cursor), &statement, &tail);
        if (rc != SQLITE_OK)
            fail(rc, "preparing SQL");
        if (!statement) // only whitespace or comments were left
            break;
        int stepRc;
        while ((stepRc = sqlite3_step(statement)) == SQLITE_ROW) { }
        sqlite3_finalize(statement);
        if (stepRc != SQLITE_DONE)
            fail(stepRc, "executing SQL");
        cursor = tail;
    }
}

StatementLease Database::cached(const std::string &sql)
{
    auto found = cache_.find(sql);
    if (found == cache_.end())
        found = cache_.emplace(sql, std::make_unique<Statement>(*this, sql)).first;
    found->second->reset();
    return StatementLease(*found->second);
}

std::int64_t Database::queryInt(std::string_view sql)
{
    Statement statement(*this, sql);
    return statement.step() ? statement.columnInt(0) : 0;
}

std::string Database::queryText(std::string_view sql)
{
    Statement statement(*this, sql);
    return statement.step() ? statement.columnText(0) : std::string();
}

std::int64_t Database::lastInsertRowId() const
{
    return sqlite3_last_insert_rowid(db_);
}

int Database::changes() const
{
    return sqlite3_changes(db_);
}

bool Database::inTransaction() const
{
    return sqlite3_get_autocommit(db_) == 0;
}

void Database::fail(int resultCode, std::string_view context) const
{
    std::string reason = describe(resultCode);
    const char *detail = db_ ? sqlite3_errmsg(db_) : nullptr;
    if (detail && reason != detail)
        reason += std::string(" (") + detail + ")";
    if (!context.empty())
        reason += std::string(" while ") + std::string(context);
    throw DatabaseError(path_, reason, resultCode);
}

// --- Transaction -------------------------------------------------------------

Transaction::Transaction(Database &database, Kind kind)
    : database_(database)
{
    if (database_.inTransaction()) {
        joined_ = true;
        open_ = false;
        return;
    }
    database_.execute(kind == Kind::Immediate ? "BEGIN IMMEDIATE" : "BEGIN");
}

Transaction::~Transaction()
{
    if (open_) {
        // Rolling back cannot usefully fail here; SQLite may already have
        // rolled back by itself (after SQLITE_FULL, for example).
        if (database_.inTransaction())
            sqlite3_exec(database_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
}

void Transaction::commit()
{
    if (joined_)
        return;
    database_.execute("COMMIT");
    open_ = false;
}

} // namespace lwb::storage
