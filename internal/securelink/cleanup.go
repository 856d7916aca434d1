package securelink

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"
)

const (
	// cleanupBatch is how many links one pass of Cleanup closes per
	// transaction.
	cleanupBatch = 200

	// OrphanAge is how old a file with no working link must be before
	// Cleanup deletes it. A file is written before the transaction that
	// saves its link commits, so a young one may belong to a link on its
	// way.
	OrphanAge = time.Hour
)

// Run closes expired links and deletes their files every CleanupInterval
// until ctx is done.
func (s *Service) Run(ctx context.Context) {
	s.init()
	t := time.NewTicker(s.CleanupInterval)
	defer t.Stop()
	for {
		if _, err := s.Cleanup(ctx); err != nil && ctx.Err() == nil {
			s.Logger.ErrorContext(ctx, "Secure links not cleaned up", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Cleanup closes every link whose time has run out or whose opens are
// spent, wiping its key and deleting its file, then deletes files on disk
// that no working link owns: those of links closed by a process that died
// before deleting them, and of links whose transaction rolled back. It
// returns how many links it closed.
func (s *Service) Cleanup(ctx context.Context) (int, error) {
	s.init()
	closed := 0
	for {
		names, err := s.Store.CloseExpiredSecureLinks(ctx, s.now(), cleanupBatch)
		if err != nil {
			return closed, err
		}
		for _, name := range names {
			s.removeFile(ctx, name)
		}
		closed += len(names)
		if len(names) < cleanupBatch {
			break
		}
	}
	if closed > 0 {
		s.Logger.InfoContext(ctx, "Secure links expired", slog.Int("count", closed))
	}

	removed, err := s.sweepOrphans(ctx)
	if err != nil {
		return closed, fmt.Errorf("sweep orphan files: %w", err)
	}
	if removed > 0 {
		s.Logger.WarnContext(ctx, "Orphan secure link files deleted", slog.Int("count", removed))
	}
	return closed, nil
}

// sweepOrphans deletes the files in DataDir older than OrphanAge that no
// active link names. File ages are wall-clock times, whatever the
// service's clock says.
func (s *Service) sweepOrphans(ctx context.Context) (int, error) {
	entries, err := os.ReadDir(s.DataDir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var candidates []string
	cutoff := time.Now().Add(-OrphanAge)
	for _, e := range entries {
		if !e.Type().IsRegular() || !validStorageName(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil || info.ModTime().After(cutoff) {
			continue
		}
		candidates = append(candidates, e.Name())
	}
	if len(candidates) == 0 {
		return 0, nil
	}

	live, err := s.Store.SecureLinkStorageNames(ctx)
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, name := range candidates {
		if !live[name] {
			s.removeFile(ctx, name)
			removed++
		}
	}
	return removed, nil
}
