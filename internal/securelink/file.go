package securelink

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	fileKeySize = 32 // AES-256
	fileMagic   = "SBL1"
	fileExt     = ".sbl"

	// maxNameRunes bounds a file name; longer ones are cut, keeping the
	// extension.
	maxNameRunes = 120
)

// writeFile encrypts data with AES-256-GCM under key and writes it under a
// fresh random name in DataDir, which it returns. The file is the magic,
// the nonce and the sealed data; the name is bound in as additional data,
// so a file copied over another link's file does not open.
func (s *Service) writeFile(key, data []byte) (string, error) {
	if s.DataDir == "" {
		return "", errors.New("bug: secure link data directory not set")
	}
	if err := os.MkdirAll(s.DataDir, 0o700); err != nil {
		return "", fmt.Errorf("create directory: %w", err)
	}
	aead, err := newAEAD(key)
	if err != nil {
		return "", err
	}
	name := hex.EncodeToString(randomBytes(16)) + fileExt
	nonce := randomBytes(aead.NonceSize())

	out := make([]byte, 0, len(fileMagic)+len(nonce)+len(data)+aead.Overhead())
	out = append(out, fileMagic...)
	out = append(out, nonce...)
	out = aead.Seal(out, nonce, data, []byte(name))

	f, err := os.OpenFile(filepath.Join(s.DataDir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := f.Write(out); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	return name, f.Close()
}

// readFile decrypts the file of a link. A missing file wraps fs.ErrNotExist.
func (s *Service) readFile(name string, key []byte) ([]byte, error) {
	if !validStorageName(name) {
		return nil, fmt.Errorf("bug: storage name %q: %w", name, fs.ErrNotExist)
	}
	raw, err := os.ReadFile(filepath.Join(s.DataDir, name))
	if err != nil {
		return nil, err
	}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	head := len(fileMagic) + aead.NonceSize()
	if len(raw) < head+aead.Overhead() || string(raw[:len(fileMagic)]) != fileMagic {
		return nil, errors.New("damaged file")
	}
	data, err := aead.Open(nil, raw[len(fileMagic):head], raw[head:], []byte(name))
	if err != nil {
		return nil, errors.New("damaged file or wrong key")
	}
	return data, nil
}

// removeFile deletes a link's file; a file already gone is no error.
func (s *Service) removeFile(ctx context.Context, name string) {
	if !validStorageName(name) {
		return
	}
	err := os.Remove(filepath.Join(s.DataDir, name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.Logger.ErrorContext(ctx, "Secure link file not deleted", slog.String("error", err.Error()))
	}
}

// validStorageName accepts only names writeFile makes, so no stored value
// can point outside DataDir.
func validStorageName(name string) bool {
	hexPart, ok := strings.CutSuffix(name, fileExt)
	if !ok || len(hexPart) != 32 {
		return false
	}
	_, err := hex.DecodeString(hexPart)
	return err == nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != fileKeySize {
		return nil, fmt.Errorf("file key of %d bytes, want %d", len(key), fileKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// cleanFileName keeps the last element of a name, without control
// characters, path separators or leading dots, and at most maxNameRunes
// long with its extension kept.
func cleanFileName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	if utf8.RuneCountInString(name) > maxNameRunes {
		ext := filepath.Ext(name)
		if utf8.RuneCountInString(ext) > 10 {
			ext = ""
		}
		runes := []rune(strings.TrimSuffix(name, ext))
		name = string(runes[:maxNameRunes-utf8.RuneCountInString(ext)]) + ext
	}
	if name == "" {
		return "file"
	}
	return name
}

// cleanContentType returns a well-formed media type, with types a browser
// would run as a page replaced by application/octet-stream: the download
// is served as an attachment anyway, and this is one more fence.
func cleanContentType(ct string) string {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt == "" {
		return "application/octet-stream"
	}
	switch mt {
	case "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
		"text/javascript", "application/javascript", "text/xsl", "multipart/x-mixed-replace":
		return "application/octet-stream"
	}
	if out := mime.FormatMediaType(mt, params); out != "" {
		return out
	}
	return "application/octet-stream"
}
