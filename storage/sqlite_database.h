// Database, Statement, Transaction: a thin RAII layer over the sqlite3 C API.
//
// Why our own: the run store wants exactly three things from SQLite and wants
// them every time: statements prepared once and bound by parameter (never SQL
// assembled from user strings), errors turned into lwb::Error naming the file
// and the problem in words, and transactions that roll back when a scope is
// left by an exception. Nothing here knows about runs or metrics.
//
// A Database is one connection. It is not shared between threads at the same
// time: each thread that touches the store opens its own (SQLite's WAL mode
// lets them run side by side, one writer at a time).
#pragma once

#include "engine/core/error.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace lwb::storage {

class Database;

// lwb::Error that also keeps the SQLite result code, so that a writer can tell
// "locked for longer than the busy timeout" (retry later) from "disk full".
class DatabaseError : public Error
{
public:
    DatabaseError(std::string where, std::string reason, int resultCode)
        : Error(std::move(where), std::move(reason))
        , resultCode_(resultCode)
    {
    }

    int resultCode() const { return resultCode_; }
    bool isBusy() const;

private:
    int resultCode_;
};

class Statement
{
public:
    Statement(Database &database, std::string_view sql);
    ~Statement();
    Statement(Statement &&other) noexcept;
    Statement &operator=(Statement &&other) noexcept;
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;

    // Parameters are 1-based, like sqlite3_bind_*. Text and blobs are copied.
    Statement &bind(int index, std::int64_t value);
    Statement &bind(int index, int value) { return bind(index, std::int64_t(value)); }
    Statement &bind(int index, double value);
    Statement &bind(int index, std::string_view text);
    Statement &bind(int index, const char *text) { return bind(index, std::string_view(text)); }
    Statement &bind(int index, const std::string &text) { return bind(index, std::string_view(text)); }
    Statement &bindBlob(int index, const void *data, std::size_t size);
    Statement &bindNull(int index);

    // Advances: true when a row is ready, false when done. Throws on error.
    bool step();
    // Runs a statement that returns no rows, then resets it for reuse.
    void run();
    // Ready for new bindings: resets and clears the old ones.
    void reset();

    // Columns are 0-based, like sqlite3_column_*.
    bool isNull(int column) const;
    std::int64_t columnInt(int column) const;
    double columnDouble(int column) const;
    std::string columnText(int column) const;
    std::string_view columnBlob(int column) const; // valid until the next step/reset

private:
    sqlite3_stmt *statement_ = nullptr;
    Database *database_ = nullptr;
};

// A statement borrowed from the database's cache; reset when it goes away,
// so that a half-read query never keeps a read transaction open.
class StatementLease
{
public:
    explicit StatementLease(Statement &statement)
        : statement_(&statement)
    {
    }
    ~StatementLease()
    {
        if (statement_)
            statement_->reset();
    }
    StatementLease(StatementLease &&other) noexcept
        : statement_(other.statement_)
    {
        other.statement_ = nullptr;
    }
    StatementLease(const StatementLease &) = delete;
    StatementLease &operator=(const StatementLease &) = delete;
    StatementLease &operator=(StatementLease &&) = delete;

    Statement *operator->() const { return statement_; }
    Statement &operator*() const { return *statement_; }

private:
    Statement *statement_;
};

class Database
{
public:
    enum class OpenMode { ReadOnly, ReadWrite, ReadWriteCreate };

    // Opens the file. Does not read or write it yet (SQLite opens lazily), so
    // the callers decide what to check before the first write.
    Database(std::string path, OpenMode mode);
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    const std::string &path() const { return path_; }
    sqlite3 *handle() const { return db_; }

    // Runs fixed SQL (schema, pragmas), possibly several statements. Only for
    // text written in this program, never for anything a user typed.
    void execute(std::string_view sql);

    Statement prepare(std::string_view sql) { return Statement(*this, sql); }
    // The same SQL text always gives the same prepared statement.
    StatementLease cached(const std::string &sql);

    // Single-value helpers for fixed queries (pragmas, counts).
    std::int64_t queryInt(std::string_view sql);
    std::string queryText(std::string_view sql);

    std::int64_t lastInsertRowId() const;
    int changes() const;
    bool inTransaction() const;

    // Throws DatabaseError(path, words for the SQLite result code + message).
    [[noreturn]] void fail(int resultCode, std::string_view context) const;

private:
    std::string path_;
    sqlite3 *db_ = nullptr;
    std::map<std::string, std::unique_ptr<Statement>> cache_;
};

// BEGIN ... COMMIT in a scope; rolls back in the destructor unless committed.
// Inside a transaction that is already open it joins it: no BEGIN, and
// commit() and rollback are left to the outer one.
class Transaction
{
public:
    enum class Kind { Deferred, Immediate };

    explicit Transaction(Database &database, Kind kind = Kind::Immediate);
    ~Transaction();
    Transaction(const Transaction &) = delete;
    Transaction &operator=(const Transaction &) = delete;

    void commit();

private:
    Database &database_;
    bool open_ = true;
    bool joined_ = false;
};

} // namespace lwb::storage
