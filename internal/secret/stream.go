package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ChunkSize is how much plaintext each sealed chunk of a stream holds.
const ChunkSize = 64 << 10

// ErrStreamDamaged is returned when an encrypted stream was cut short,
// reordered, altered, or was sealed with another key.
var ErrStreamDamaged = errors.New("encrypted stream damaged, truncated or under another key")

// A stream is a series of chunks, each sealed with AES-256-GCM:
//
//	flag (1 byte: 1 on the last chunk) | length (4 bytes) | sealed chunk
//
// The nonce of chunk i is i followed by the flag, so chunks cannot be
// reordered, dropped or repeated, and the end cannot be cut off unnoticed:
// a stream without its last-flagged chunk is damaged. Every chunk is also
// bound to the stream's header (aad). A key must seal one stream only; the
// callers derive a fresh key per stream from a random salt.
const chunkHeader = 5

// StreamWriter encrypts what is written to it. Close writes the last
// chunk; a stream that was not closed does not decrypt.
type StreamWriter struct {
	w     io.Writer
	aead  cipher.AEAD
	aad   []byte
	buf   []byte
	n     uint64
	err   error
	close bool
}

// NewStreamWriter returns a writer sealing into w under a 32-byte key that
// is used for this stream only.
func NewStreamWriter(w io.Writer, key, aad []byte) (*StreamWriter, error) {
	aead, err := streamAEAD(key)
	if err != nil {
		return nil, err
	}
	return &StreamWriter{w: w, aead: aead, aad: aad, buf: make([]byte, 0, ChunkSize)}, nil
}

func streamAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("stream key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Write buffers p and seals every full chunk.
func (s *StreamWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.close {
		return 0, errors.New("write to closed stream")
	}
	written := 0
	for len(p) > 0 {
		n := min(len(p), ChunkSize-len(s.buf))
		s.buf = append(s.buf, p[:n]...)
		p, written = p[n:], written+n
		if len(s.buf) == ChunkSize {
			if err := s.flush(false); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// Close seals the last chunk. It does not close the underlying writer.
func (s *StreamWriter) Close() error {
	if s.close {
		return s.err
	}
	s.close = true
	if s.err != nil {
		return s.err
	}
	return s.flush(true)
}

func (s *StreamWriter) flush(last bool) error {
	var flag byte
	if last {
		flag = 1
	}
	out := make([]byte, chunkHeader, chunkHeader+len(s.buf)+s.aead.Overhead())
	out[0] = flag
	out = s.aead.Seal(out, chunkNonce(s.n, flag), s.buf, s.aad)
	binary.BigEndian.PutUint32(out[1:chunkHeader], uint32(len(out)-chunkHeader))
	s.n++
	s.buf = s.buf[:0]
	if _, err := s.w.Write(out); err != nil {
		s.err = err
		return err
	}
	return nil
}

func chunkNonce(i uint64, flag byte) []byte {
	nonce := make([]byte, 12)
	binary.BigEndian.PutUint64(nonce[:8], i)
	nonce[11] = flag
	return nonce
}

// StreamReader decrypts a stream made by StreamWriter.
type StreamReader struct {
	r    io.Reader
	aead cipher.AEAD
	aad  []byte
	buf  []byte
	n    uint64
	done bool
	err  error
}

// NewStreamReader returns a reader opening the stream in r.
func NewStreamReader(r io.Reader, key, aad []byte) (*StreamReader, error) {
	aead, err := streamAEAD(key)
	if err != nil {
		return nil, err
	}
	return &StreamReader{r: r, aead: aead, aad: aad}, nil
}

// Read returns decrypted bytes. It returns ErrStreamDamaged for a chunk
// that does not open, and for a stream that ends before its last chunk or
// goes on after it.
func (s *StreamReader) Read(p []byte) (int, error) {
	for len(s.buf) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		if s.done {
			s.err = s.checkEnd()
			if s.err == nil {
				s.err = io.EOF
			}
			return 0, s.err
		}
		s.err = s.next()
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

func (s *StreamReader) next() error {
	var head [chunkHeader]byte
	if _, err := io.ReadFull(s.r, head[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return ErrStreamDamaged
		}
		return err
	}
	flag := head[0]
	size := binary.BigEndian.Uint32(head[1:])
	if flag > 1 || size > ChunkSize+uint32(s.aead.Overhead()) {
		return ErrStreamDamaged
	}
	sealed := make([]byte, size)
	if _, err := io.ReadFull(s.r, sealed); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return ErrStreamDamaged
		}
		return err
	}
	plain, err := s.aead.Open(sealed[:0], chunkNonce(s.n, flag), sealed, s.aad)
	if err != nil {
		return ErrStreamDamaged
	}
	s.n++
	s.buf = plain
	s.done = flag == 1
	return nil
}

// checkEnd makes sure nothing follows the last chunk.
func (s *StreamReader) checkEnd() error {
	var b [1]byte
	n, err := s.r.Read(b[:])
	if n > 0 {
		return ErrStreamDamaged
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if err == nil {
		// A reader may return 0, nil; ask once more.
		if n, _ := io.ReadFull(s.r, b[:]); n > 0 {
			return ErrStreamDamaged
		}
	}
	return nil
}
